import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ROUTE_SELECTION_EXPRESSION, WEBSOCKET_ROUTES } from '../../lib/realtime-settings.js';
import {
  buildAuthorizerEvent,
  buildConnectEvent,
  buildDisconnectEvent,
  buildMessageEvent,
  createRouteSelector,
  handshakeParameters,
  newConnectionId,
  type ConnectionContext,
} from '../../local/websocket-events.js';

const CONNECTION: ConnectionContext = {
  connectionId: 'L0SM9cOFvHcCIhw=',
  connectedAt: 1_796_385_600_000,
  domainName: '127.0.0.1:3000',
  sourceIp: '127.0.0.1',
  userAgent: 'comm-test/1.0',
};
const AUTHORIZER = { principalId: 'alice', userId: 'alice', isAdmin: 'false', isModerator: 'true' };

/** The requestContext fields every event carries, whatever its type. */
const COMMON_CONTEXT = {
  extendedRequestId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/),
  requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
  messageDirection: 'IN',
  stage: 'local',
  connectedAt: CONNECTION.connectedAt,
  requestTimeEpoch: expect.any(Number),
  identity: { sourceIp: '127.0.0.1', userAgent: 'comm-test/1.0' },
  requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
  domainName: '127.0.0.1:3000',
  connectionId: CONNECTION.connectionId,
  apiId: 'local',
};

function handshakeRequest(headersDistinct: Record<string, string[]>): IncomingMessage {
  return { headersDistinct } as unknown as IncomingMessage;
}

describe('createRouteSelector', () => {
  const selectRoute = createRouteSelector(ROUTE_SELECTION_EXPRESSION, WEBSOCKET_ROUTES.map((route) => route.routeKey));

  it.each([
    ['{"action":"subscribe","channel_id":"c-1"}', 'subscribe'],
    ['{"action":"unsubscribe"}', 'unsubscribe'],
    ['{"action":"ping"}', 'ping'],
    ['{"action":"dance"}', '$default'],
    ['{"action":"$default"}', '$default'],
    ['{"action":"$connect"}', '$default'],
    ['{"action":5}', '$default'],
    ['{"nested":{"action":"ping"}}', '$default'],
    ['["ping"]', '$default'],
    ['"ping"', '$default'],
    ['null', '$default'],
    ['{"action":', '$default'],
    ['', '$default'],
  ])('routes %s to %s', (body, routeKey) => {
    expect(selectRoute(body)).toBe(routeKey);
  });

  it('routes a binary frame to $default', () => {
    expect(selectRoute(undefined)).toBe('$default');
  });

  it('follows a nested field path', () => {
    const selectNested = createRouteSelector('$request.body.meta.kind', ['ping']);

    expect(selectNested('{"meta":{"kind":"ping"}}')).toBe('ping');
  });

  it.each(['$request.header.action', '$request.body.', 'action'])('rejects the expression %s', (expression) => {
    expect(() => createRouteSelector(expression, ['ping'])).toThrow(
      `Unsupported route selection expression "${expression}": the local WebSocket server supports only $request.body.<field>`,
    );
  });
});

describe('newConnectionId', () => {
  it('returns 16 characters ending in =', () => {
    const ids = Array.from({ length: 100 }, () => newConnectionId());

    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    expect(new Set(ids).size).toBe(100);
  });
});

describe('handshakeParameters', () => {
  it('joins repeated headers and keeps the last query value', () => {
    const request = handshakeRequest({ host: ['127.0.0.1:3000'], 'x-tag': ['a', 'b'] });

    const parameters = handshakeParameters(request, new URL('http://127.0.0.1:3000/ws?token=t1&token=t2&lang=en'));

    expect(parameters).toEqual({
      headers: { host: '127.0.0.1:3000', 'x-tag': 'a,b' },
      multiValueHeaders: { host: ['127.0.0.1:3000'], 'x-tag': ['a', 'b'] },
      queryStringParameters: { token: 't2', lang: 'en' },
      multiValueQueryStringParameters: { token: ['t1', 't2'], lang: ['en'] },
    });
  });

  it('leaves out query parameters when there are none', () => {
    const parameters = handshakeParameters(handshakeRequest({ host: ['h'] }), new URL('http://h/ws'));

    expect(parameters).toEqual({ headers: { host: 'h' }, multiValueHeaders: { host: ['h'] } });
  });
});

describe('WebSocket event builders', () => {
  const handshake = {
    headers: { host: '127.0.0.1:3000', authorization: 'Bearer t' },
    multiValueHeaders: { host: ['127.0.0.1:3000'], authorization: ['Bearer t'] },
  };

  it('builds the REQUEST authorizer event', () => {
    const event = buildAuthorizerEvent(CONNECTION, handshake);

    expect(event).toEqual({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:000000000000:local/local/$connect',
      headers: handshake.headers,
      multiValueHeaders: handshake.multiValueHeaders,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: { ...COMMON_CONTEXT, routeKey: '$connect', eventType: 'CONNECT' },
    });
  });

  it('builds the $connect event with the authorizer context', () => {
    const event = buildConnectEvent(CONNECTION, AUTHORIZER, { ...handshake, queryStringParameters: { lang: 'en' }, multiValueQueryStringParameters: { lang: ['en'] } });

    expect(event).toEqual({
      headers: handshake.headers,
      multiValueHeaders: handshake.multiValueHeaders,
      queryStringParameters: { lang: 'en' },
      multiValueQueryStringParameters: { lang: ['en'] },
      requestContext: { ...COMMON_CONTEXT, routeKey: '$connect', eventType: 'CONNECT', authorizer: { ...AUTHORIZER, integrationLatency: 0 } },
      isBase64Encoded: false,
    });
  });

  it('builds a MESSAGE event with the body as received', () => {
    const event = buildMessageEvent(CONNECTION, AUTHORIZER, 'ping', { body: '{"action":"ping"}', isBase64Encoded: false });

    expect(event).toEqual({
      requestContext: {
        ...COMMON_CONTEXT,
        routeKey: 'ping',
        eventType: 'MESSAGE',
        messageId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/),
        authorizer: { ...AUTHORIZER, integrationLatency: 0 },
      },
      body: '{"action":"ping"}',
      isBase64Encoded: false,
    });
  });

  it('builds the $disconnect event with the close code and reason', () => {
    const event = buildDisconnectEvent(CONNECTION, AUTHORIZER, { code: 1001, reason: 'Going away: idle timeout' });

    expect(event).toEqual({
      headers: { host: '127.0.0.1:3000' },
      multiValueHeaders: { host: ['127.0.0.1:3000'] },
      requestContext: {
        ...COMMON_CONTEXT,
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        authorizer: { ...AUTHORIZER, integrationLatency: 0 },
        disconnectStatusCode: 1001,
        disconnectReason: 'Going away: idle timeout',
      },
      isBase64Encoded: false,
    });
  });
});
