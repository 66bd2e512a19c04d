import middy from '@middy/core';
import type { APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { appResolver, createApp, type App, type AppSource } from '../app.js';
import { callerFromClaims } from '../domain/identity.js';
import { createLogger } from '../logger.js';
import { errorResponse } from './error-response.js';
import type { ApiRequest, ApiResponse, HttpEvent } from './request.js';

/** A route's logic: parse, authorize, write, respond. Errors are thrown, never returned. */
export type RouteHandler = (request: ApiRequest, app: App) => Promise<ApiResponse>;

type HttpResult = Exclude<APIGatewayProxyResultV2, string>;

/** Headers on every response: JSON, and never stored by shared caches since bodies are paid content. */
const BASE_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** Time kept back from the Lambda timeout to respond (with an error if need be) instead of being cut off. */
const DEADLINE_MARGIN_MS = 1_500;

interface RequestState extends Record<string, unknown> {
  requestId: string;
}

/**
 * Wraps a route into a Lambda handler for HTTP API payload 2.0 events. The
 * middleware chain is: resolve the request id and logger, run the route,
 * serialize the response; `onError` maps any error to the error contract.
 */
export function createHttpHandler(app: AppSource, route: RouteHandler) {
  const resolveApp = appResolver(app);

  return middy<HttpEvent, HttpResult, Error, Context, RequestState>()
    .use({
      onError: async (request) => {
        const resolved = await resolveApp().catch(() => undefined);
        const requestId = request.event.requestContext?.requestId ?? 'unknown';
        const logger = (resolved?.logger ?? fallbackLogger).child({ requestId, route: request.event.routeKey });
        request.response = toResult(errorResponse(request.error, requestId, logger));
      },
    })
    .handler(async (event, context) => {
      const resolved = await resolveApp();
      const requestId = event.requestContext.requestId;
      const caller = callerFromClaims(event.requestContext.authorizer?.jwt?.claims, resolved.config.roles);
      const logger = resolved.logger.child({ requestId, route: event.routeKey, userId: caller.userId });

      const deadline = Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;

      const response = await route({ event, caller, requestId, logger, deadline }, resolved);
      return toResult(response);
    });
}

/** The Lambda entry point for a route: the App is built from the environment on first use. */
export function lambdaHandler(route: RouteHandler) {
  return createHttpHandler(() => createApp(process.env), route);
}

function toResult(response: ApiResponse): HttpResult {
  return {
    statusCode: response.status,
    headers: { ...BASE_HEADERS, ...response.headers },
    body: response.body === undefined ? '' : JSON.stringify(response.body),
  };
}

/** Used only when the App itself failed to build, so the failure is still logged. */
const fallbackLogger = createLogger('error');
