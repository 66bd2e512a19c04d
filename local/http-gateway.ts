import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { RouteDefinition } from '../lib/routes.js';
import type { Logger } from '../lambdas/logger.js';
import { buildHttpEvent, type MatchedRoute } from './http-events.js';
import type { JwtAuthorizer } from '../lambdas/auth/jwt-authorizer.js';

export type HttpLambda = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface LocalRoute {
  readonly definition: RouteDefinition;
  readonly handler: HttpLambda;
}

export interface HttpGatewayOptions {
  readonly routes: readonly LocalRoute[];
  readonly authorizer: JwtAuthorizer;
  readonly jwks: unknown;
  readonly logger: Logger;
  /** Extra request handlers tried before the API routes (the WebSocket management endpoint, for example). */
  readonly extraHandlers?: readonly ((request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>)[];
}

/** API Gateway HTTP APIs accept payloads up to 10 MB. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

interface CompiledRoute extends LocalRoute {
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
  /** More literal segments win, as API Gateway prefers the most specific route. */
  readonly literalSegments: number;
}

/**
 * A local stand-in for API Gateway's HTTP API: matches the route, runs the
 * JWT authorizer (401 before any handler runs, as API Gateway does), builds
 * the payload 2.0 event and writes the Lambda result back.
 */
export function createHttpGateway(options: HttpGatewayOptions): Server {
  const routes = options.routes.map(compileRoute).sort((a, b) => b.literalSegments - a.literalSegments);

  return createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      options.logger.error('Local gateway failed', { errorMessage: (error as Error).message });
      if (!response.headersSent) writeJson(response, 500, { error: { code: 'internal_error', message: 'Local gateway error' } });
      else response.destroy();
    });
  });

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    for (const extra of options.extraHandlers ?? []) {
      if (await extra(request, response, url)) return;
    }
    if (request.method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      writeJson(response, 200, options.jwks);
      return;
    }

    let match: ReturnType<typeof matchRoute>;
    try {
      match = matchRoute(routes, request.method ?? 'GET', url.pathname);
    } catch (error) {
      if (!(error instanceof URIError)) throw error;
      writeJson(response, 400, { error: { code: 'invalid_request', message: 'path: contains malformed percent-encoding' } });
      return;
    }
    if (!match) {
      writeJson(response, 404, { error: { code: 'not_found', message: `No route for ${request.method} ${url.pathname}` } });
      return;
    }

    const body = await readBody(request);
    if (body === undefined) {
      writeJson(response, 413, { error: { code: 'payload_too_large', message: `The request body is larger than ${MAX_PAYLOAD_BYTES} bytes` } });
      return;
    }

    const authorization = await options.authorizer.authorize(request.headers.authorization);
    if (!authorization.ok) {
      options.logger.info('Request rejected by the JWT authorizer', { route: `${match.route.method} ${match.route.path}`, reason: authorization.reason });
      writeJson(response, 401, { error: { code: 'unauthorized', message: 'A valid bearer token is required' } }, { 'www-authenticate': 'Bearer' });
      return;
    }

    const event = buildHttpEvent({ request, url, body, route: match.route, claims: authorization.claims, scopes: authorization.scopes });
    const result = await match.handler(event, lambdaContext(match.definition, event.requestContext.requestId));
    writeResult(response, result, event.requestContext.requestId);
  }
}

function compileRoute(route: LocalRoute): CompiledRoute {
  const parameterNames: string[] = [];
  const segments = route.definition.path.split('/').filter(Boolean);
  const source = segments
    .map((segment) => {
      const parameter = /^\{(\w+)\}$/.exec(segment);
      if (!parameter?.[1]) return escapeRegExp(segment);
      parameterNames.push(parameter[1]);
      return '([^/]+)';
    })
    .join('/');
  return {
    ...route,
    pattern: new RegExp(`^/${source}/?$`),
    parameterNames,
    literalSegments: segments.length - parameterNames.length,
  };
}

function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): (CompiledRoute & { route: MatchedRoute }) | undefined {
  for (const route of routes) {
    if (route.definition.method !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    const pathParameters = Object.fromEntries(route.parameterNames.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')]));
    return { ...route, route: { method, path: route.definition.path, pathParameters } };
  }
  return undefined;
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Builds a Lambda context whose remaining time follows the route's timeout, as the CDK stack sets it. */
function lambdaContext(definition: RouteDefinition, requestId: string): Context {
  const functionName = definition.handler;
  const deadline = Date.now() + definition.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyResultV2, requestId: string): void {
  if (typeof result === 'string') {
    writeJson(response, 200, result);
    return;
  }
  const headers = { ...result.headers, 'apigw-requestid': requestId };
  let body: string | Buffer = result.body ?? '';
  if (result.isBase64Encoded && result.body !== undefined) body = Buffer.from(result.body, 'base64');
  response.writeHead(result.statusCode ?? 200, headers as Record<string, string>);
  response.end(body);
}

function writeJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
