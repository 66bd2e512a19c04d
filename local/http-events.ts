import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

export interface MatchedRoute {
  readonly method: string;
  readonly path: string;
  readonly pathParameters: Record<string, string>;
}

export interface HttpEventInput {
  readonly request: IncomingMessage;
  readonly url: URL;
  readonly body: Buffer;
  readonly route: MatchedRoute;
  readonly claims: Record<string, string>;
  readonly scopes: string[];
}

/** Content types API Gateway passes as text; any other body arrives base64-encoded. */
const TEXT_CONTENT_TYPE = /^(application\/(json|x-www-form-urlencoded|[a-z.+-]*\+json)|text\/)/i;

/**
 * Builds an API Gateway HTTP API payload 2.0 event as the JWT authorizer
 * delivers it: headers lower-cased and repeated values joined with commas,
 * query parameters likewise, and the verified claims under
 * `requestContext.authorizer.jwt`.
 */
export function buildHttpEvent(input: HttpEventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { request, url, body, route } = input;
  const now = new Date();
  const requestId = randomUUID();

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headersDistinct)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...value.flatMap((cookie) => cookie.split(/;\s*/)));
    else headers[name] = value.join(',');
  }

  const queryStringParameters: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) {
    queryStringParameters[key] = url.searchParams.getAll(key).join(',');
  }

  const isText = body.length === 0 || TEXT_CONTENT_TYPE.test(headers['content-type'] ?? '');
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 && { queryStringParameters }),
    ...(Object.keys(route.pathParameters).length > 0 && { pathParameters: route.pathParameters }),
    requestContext: {
      accountId: 'offline',
      apiId: 'local',
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: input.claims, scopes: input.scopes } },
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 && { body: isText ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: !isText,
  };
}
