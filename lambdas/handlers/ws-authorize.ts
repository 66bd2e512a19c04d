import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createJwtAuthorizer, type JwtAuthorizer } from '../auth/jwt-authorizer.js';
import { readConfig, type Environment } from '../config.js';
import { callerFromClaims, type RoleSettings } from '../domain/identity.js';
import { createLogger, type Logger, type LogLevel } from '../logger.js';
import type { AuthorizerContext } from '../realtime/websocket.js';

export interface WebSocketAuthorizerOptions {
  readonly jwt: JwtAuthorizer;
  readonly roles: RoleSettings;
  /** Browser origins allowed to connect; empty allows any. A request without Origin (a mobile app) is not a browser and passes. */
  readonly allowedOrigins: readonly string[];
  readonly logger: Logger;
}

/**
 * The `$connect` Lambda authorizer. It verifies the JWT with the HTTP API's
 * rules, taken from the `Authorization` header or, for browsers that cannot
 * set headers, the `token` query parameter, and checks `Origin` against the
 * allow-list. Neither the token nor the query string is ever logged.
 * Throwing `Unauthorized` makes API Gateway reject the handshake with 401.
 */
export function createWebSocketAuthorizer(options: WebSocketAuthorizerOptions) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const headers = lowerCaseKeys(event.headers ?? {});
    const origin = headers.origin;
    if (origin !== undefined && options.allowedOrigins.length > 0 && !options.allowedOrigins.includes(origin)) {
      options.logger.info('WebSocket connection rejected: origin not allowed', { origin });
      throw new Error('Unauthorized');
    }

    const queryToken = event.queryStringParameters?.token;
    const credential = headers.authorization ?? (queryToken ? `Bearer ${queryToken}` : undefined);
    const result = await options.jwt.authorize(credential);
    if (!result.ok) {
      options.logger.info('WebSocket connection rejected: invalid token', { reason: result.reason });
      throw new Error('Unauthorized');
    }

    const caller = callerFromClaims(result.claims, options.roles);
    const context: AuthorizerContext = { userId: caller.userId, isAdmin: String(caller.isAdmin) as 'true' | 'false', isModerator: String(caller.isModerator) as 'true' | 'false' };
    return {
      principalId: caller.userId,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
      context: { ...context },
    };
  };
}

/** Reads JWT_ISSUER, JWT_AUDIENCE (comma-separated), JWT_JWKS_URI and WS_ALLOWED_ORIGINS (comma-separated). */
export function authorizerOptionsFromEnv(env: Environment): WebSocketAuthorizerOptions {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`Missing environment variable ${name}: the WebSocket authorizer needs it`);
    return value;
  };
  return {
    jwt: createJwtAuthorizer({ issuer: required('JWT_ISSUER'), audience: splitList(required('JWT_AUDIENCE')), jwksUri: required('JWT_JWKS_URI') }),
    roles: readConfig(env).roles,
    allowedOrigins: splitList(env.WS_ALLOWED_ORIGINS ?? ''),
    logger: createLogger((env.LOG_LEVEL as LogLevel | undefined) ?? 'info'),
  };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

let authorizer: ReturnType<typeof createWebSocketAuthorizer> | undefined;
export const handler = (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  authorizer ??= createWebSocketAuthorizer(authorizerOptionsFromEnv(process.env));
  return authorizer(event);
};
