import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { ADMIN_GROUP, DEFAULT_ROLE_CLAIM } from '../local/auth-config.js';
import type { HttpEvent } from '../lambdas/http/request.js';

export interface SyntheticRequest {
  readonly method: 'GET' | 'POST';
  /** Route path with `{name}` parameters, as in lib/routes.ts. */
  readonly routePath: string;
  readonly pathParameters: Record<string, string>;
  readonly sub: string;
  readonly admin?: boolean;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
}

/**
 * Builds an API Gateway HTTP API payload 2.0 event the way the JWT
 * authorizer delivers it (the shape local/http-events.ts builds from a real
 * request), so a route runs without the HTTP server.
 */
export function syntheticHttpEvent(request: SyntheticRequest): HttpEvent {
  const rawPath = request.routePath.replace(/\{(\w+)\}/g, (_, name: string) => request.pathParameters[name] ?? '');
  const routeKey = `${request.method} ${request.routePath}`;
  const rawQueryString = new URLSearchParams(request.query ?? {}).toString();
  const claims: Record<string, string> = { sub: request.sub, ...(request.admin && { [DEFAULT_ROLE_CLAIM]: `[${ADMIN_GROUP}]` }) };
  const now = Date.now();

  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers: { 'content-type': 'application/json', ...request.headers },
    ...(request.query && { queryStringParameters: request.query }),
    pathParameters: request.pathParameters,
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
      domainName: '127.0.0.1',
      domainPrefix: 'bench',
      http: { method: request.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
    isBase64Encoded: false,
  };
}

/** Builds a Lambda context whose remaining time is fixed at 28 s, the timeout of a write function, as at the start of an invocation. */
export function syntheticLambdaContext(functionName: string): Context {
  const fail = (): never => {
    throw new Error('The benchmark context does not support the legacy callback methods');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 28_000,
    done: fail,
    fail,
    succeed: fail,
  };
}
