import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { WebSocketEvent } from '../lambdas/realtime/websocket.js';
import { LOCAL_REGION } from './dynamodb-local.js';

/** Identifiers of the emulated WebSocket API, used in `requestContext` and the authorizer's `methodArn`. */
export const LOCAL_WEBSOCKET_API = { accountId: '000000000000', apiId: 'local', stage: 'local' } as const;

/** Route of messages whose selection expression matches no other route. */
export const DEFAULT_ROUTE_KEY = '$default';

/** Connection details API Gateway records at the handshake and repeats on every event of the connection. */
export interface ConnectionContext {
  readonly connectionId: string;
  /** Epoch milliseconds of the handshake. */
  readonly connectedAt: number;
  /** The handshake's Host header, API Gateway's `domainName`. */
  readonly domainName: string;
  readonly sourceIp: string;
  /** The handshake's User-Agent header, empty when the client sent none. */
  readonly userAgent: string;
}

/** Headers and query parameters of the handshake request, in the forms API Gateway passes them. */
export interface HandshakeParameters {
  /** Lower-cased names, with the values of a repeated header joined by commas. */
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  /** Undefined when the URL has no query string. A repeated parameter keeps its last value. */
  readonly queryStringParameters?: Record<string, string>;
  readonly multiValueQueryStringParameters?: Record<string, string[]>;
}

/**
 * The `requestContext.authorizer` API Gateway puts on every event after a
 * Lambda authorizer allowed `$connect`: the policy's principal and its context.
 */
export type AuthorizerFields = Readonly<Record<string, string | number | boolean>> & { readonly principalId: string };

/** A WebSocket API event as API Gateway sends it to a Lambda integration. */
export interface LocalWebSocketEvent extends WebSocketEvent {
  readonly requestContext: WebSocketEvent['requestContext'] & {
    readonly apiId: string;
    readonly stage: string;
    readonly domainName: string;
    readonly connectedAt: number;
    readonly extendedRequestId: string;
    readonly requestTime: string;
    readonly requestTimeEpoch: number;
    readonly messageDirection: 'IN';
    readonly messageId?: string;
    readonly identity: { readonly sourceIp: string; readonly userAgent: string };
    readonly disconnectStatusCode?: number;
    readonly disconnectReason?: string;
  };
  readonly headers?: Record<string, string>;
  readonly multiValueHeaders?: Record<string, string[]>;
  readonly queryStringParameters?: Record<string, string>;
  readonly multiValueQueryStringParameters?: Record<string, string[]>;
  readonly isBase64Encoded: boolean;
}

/** API Gateway connection ids are 16 characters of base64 ending in '=', e.g. `L0SM9cOFvHcCIhw=`. */
export function newConnectionId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

/** Reads the handshake's headers and query string as API Gateway passes them to `$connect` and its authorizer. */
export function handshakeParameters(request: IncomingMessage, url: URL): HandshakeParameters {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values === undefined) continue;
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }

  const names = [...new Set(url.searchParams.keys())];
  if (names.length === 0) return { headers, multiValueHeaders };

  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const name of names) {
    const values = url.searchParams.getAll(name);
    queryStringParameters[name] = values.at(-1) ?? '';
    multiValueQueryStringParameters[name] = values;
  }
  return { headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters };
}

/**
 * Builds the REQUEST authorizer event for `$connect`. A WebSocket API sends
 * no `resource`, `path` or `httpMethod`, which @types/aws-lambda models
 * after the REST API's event, hence the cast.
 */
export function buildAuthorizerEvent(connection: ConnectionContext, handshake: HandshakeParameters): APIGatewayRequestAuthorizerEvent {
  const { accountId, apiId, stage } = LOCAL_WEBSOCKET_API;
  const event = {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${LOCAL_REGION}:${accountId}:${apiId}/${stage}/$connect`,
    headers: handshake.headers,
    multiValueHeaders: handshake.multiValueHeaders,
    queryStringParameters: handshake.queryStringParameters ?? null,
    multiValueQueryStringParameters: handshake.multiValueQueryStringParameters ?? null,
    stageVariables: null,
    requestContext: requestContext(connection, '$connect', 'CONNECT'),
  };
  return event as unknown as APIGatewayRequestAuthorizerEvent;
}

/** Builds the `$connect` event, which the integration receives after the authorizer allowed the handshake. */
export function buildConnectEvent(connection: ConnectionContext, authorizer: AuthorizerFields, handshake: HandshakeParameters): LocalWebSocketEvent {
  return {
    headers: handshake.headers,
    multiValueHeaders: handshake.multiValueHeaders,
    ...(handshake.queryStringParameters && { queryStringParameters: handshake.queryStringParameters }),
    ...(handshake.multiValueQueryStringParameters && { multiValueQueryStringParameters: handshake.multiValueQueryStringParameters }),
    requestContext: { ...requestContext(connection, '$connect', 'CONNECT'), authorizer: withLatency(authorizer) },
    isBase64Encoded: false,
  };
}

/** Builds the event for one message: the body as received, base64 for a binary frame. */
export function buildMessageEvent(
  connection: ConnectionContext,
  authorizer: AuthorizerFields,
  routeKey: string,
  message: { readonly body: string; readonly isBase64Encoded: boolean },
): LocalWebSocketEvent {
  return {
    requestContext: { ...requestContext(connection, routeKey, 'MESSAGE'), messageId: randomToken(), authorizer: withLatency(authorizer) },
    body: message.body,
    isBase64Encoded: message.isBase64Encoded,
  };
}

/** Builds the `$disconnect` event with the close code and reason. */
export function buildDisconnectEvent(connection: ConnectionContext, authorizer: AuthorizerFields, close: { readonly code: number; readonly reason: string }): LocalWebSocketEvent {
  return {
    headers: { host: connection.domainName },
    multiValueHeaders: { host: [connection.domainName] },
    requestContext: {
      ...requestContext(connection, '$disconnect', 'DISCONNECT'),
      authorizer: withLatency(authorizer),
      disconnectStatusCode: close.code,
      disconnectReason: close.reason,
    },
    isBase64Encoded: false,
  };
}

/**
 * Returns a function that picks a message's route the way API Gateway
 * evaluates a `$request.body.<path>` selection expression: the message
 * must be a JSON object whose field at that path is a string naming one of
 * `routeKeys`. Anything else, including invalid JSON and binary frames
 * (`undefined`), goes to `$default`.
 */
export function createRouteSelector(selectionExpression: string, routeKeys: readonly string[]): (body: string | undefined) => string {
  const prefix = '$request.body.';
  if (!selectionExpression.startsWith(prefix) || selectionExpression.length === prefix.length) {
    throw new Error(`Unsupported route selection expression "${selectionExpression}": the local WebSocket server supports only $request.body.<field>`);
  }
  const fieldPath = selectionExpression.slice(prefix.length).split('.');
  const known = new Set(routeKeys.filter((routeKey) => routeKey !== DEFAULT_ROUTE_KEY));

  return (body) => {
    if (body === undefined) return DEFAULT_ROUTE_KEY;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return DEFAULT_ROUTE_KEY;
    }
    for (const field of fieldPath) {
      value = isJsonObject(value) ? value[field] : undefined;
    }
    return typeof value === 'string' && known.has(value) ? value : DEFAULT_ROUTE_KEY;
  };
}

function requestContext(connection: ConnectionContext, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT') {
  const now = new Date();
  return {
    routeKey,
    eventType,
    extendedRequestId: randomToken(),
    requestTime: clfTime(now),
    messageDirection: 'IN' as const,
    stage: LOCAL_WEBSOCKET_API.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now.getTime(),
    identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
    requestId: randomUUID(),
    domainName: connection.domainName,
    connectionId: connection.connectionId,
    apiId: LOCAL_WEBSOCKET_API.apiId,
  };
}

/** Adds `integrationLatency`, the authorizer's run time that API Gateway reports. The local server reports 0. */
function withLatency(authorizer: AuthorizerFields): Record<string, unknown> {
  return { ...authorizer, integrationLatency: 0 };
}

/** Returns a random id in the style of API Gateway's extended request and message ids. */
function randomToken(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** Formats `requestTime` in Common Log Format, e.g. `04/Dec/2026:20:17:52 +0000`. */
function clfTime(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  const day = pad(date.getUTCDate());
  const month = MONTHS[date.getUTCMonth()];
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return `${day}/${month}/${date.getUTCFullYear()}:${time} +0000`;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
