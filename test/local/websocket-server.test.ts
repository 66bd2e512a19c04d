import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signToken, type SigningKey } from '../../local/signing-key.js';
import type { LocalConnection } from '../../local/websocket-server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { HandshakeRejectedError, openTestSocket, type TestSocketOptions } from '../support/websocket.js';

/** The reply of the $default route to any message without a known action. */
const INVALID_ACTION_FRAME = { type: 'error', code: 'invalid_request', message: 'action: must be one of subscribe, unsubscribe, ping' };

function connectionOf(stack: TestStack, userId: string): LocalConnection | undefined {
  return [...stack.webSocket.connections.values()].find((connection) => connection.authorizer.userId === userId);
}

async function storedConnection(stack: TestStack, connectionId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await stack.db.send(
    new GetCommand({ TableName: stack.tables.connections, Key: { pk: `connection#${connectionId}`, sk: 'connection' }, ConsistentRead: true }),
  );
  return Item;
}

async function handshakeError(open: Promise<unknown>): Promise<HandshakeRejectedError> {
  const error = await open.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof HandshakeRejectedError)) throw new Error(`Expected a rejected handshake, got ${String(error)}`);
  return error;
}

describe('WebSocket API at /ws', () => {
  let stack: TestStack;
  let otherKey: SigningKey;

  beforeAll(async () => {
    [stack, otherKey] = await Promise.all([startTestStack(), generateSigningKey()]);
  });

  afterAll(async () => {
    await stack.stop();
  });

  it.each(['header', 'query'] as const)('accepts a valid token in the %s', async (tokenIn) => {
    const userId = `token-in-${tokenIn}`;

    const socket = await stack.openSocket({ token: stack.token(userId, { admin: true }), tokenIn });

    const connection = connectionOf(stack, userId);
    expect(connection?.authorizer).toEqual({ principalId: userId, userId, isAdmin: 'true', isModerator: 'false' });
    const stored = await storedConnection(stack, connection!.context.connectionId);
    expect(stored).toMatchObject({ connection_id: connection!.context.connectionId, user_id: userId, is_admin: true, is_moderator: false });
    await socket.close();
  });

  it('gives connections API Gateway style ids', async () => {
    const socket = await stack.openSocket({ token: stack.token('id-format') });

    const connection = connectionOf(stack, 'id-format');

    expect(connection?.context.connectionId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    await socket.close();
  });

  const rejectedHandshakes: [string, (stack: TestStack) => TestSocketOptions][] = [
    ['no token', () => ({})],
    ['a malformed header token', () => ({ token: 'not-a-jwt' })],
    ['a malformed query token', () => ({ token: 'not-a-jwt', tokenIn: 'query' })],
    ['a token signed by an unknown key', () => ({ token: signToken(otherKey, { sub: 'mallory' }) })],
    ['an expired token', (current) => ({ token: signToken(current.signingKey, { sub: 'late', issuedAt: Math.floor(Date.now() / 1000) - 7200, ttlSeconds: 3600 }) })],
  ];

  it.each(rejectedHandshakes)('answers 401 to %s', async (_case, optionsFor) => {
    const openBefore = stack.webSocket.connections.size;

    const error = await handshakeError(stack.openSocket(optionsFor(stack)));

    expect(error.status).toBe(401);
    expect(error.body).toBe('{"message":"Unauthorized"}');
    expect(stack.webSocket.connections.size).toBe(openBefore);
  });

  it('answers 404 to an upgrade on another path', async () => {
    const error = await handshakeError(openTestSocket(`${stack.wsUrl}/other`, { token: stack.token('lost') }));

    expect(error.status).toBe(404);
  });

  it('replies pong to ping', async () => {
    const socket = await stack.openSocket({ token: stack.token('pinger') });

    socket.send({ action: 'ping' });

    expect(await socket.nextFrame()).toEqual({ type: 'pong' });
    await socket.close();
  });

  it.each([
    ['an unknown action', '{"action":"dance"}'],
    ['a missing action', '{"channel_id":"c-1"}'],
    ['a non-string action', '{"action":5}'],
    ['a JSON array', '["ping"]'],
  ])('answers %s with invalid_request', async (_case, message) => {
    const socket = await stack.openSocket({ token: stack.token('confused') });

    socket.send(message);

    expect(await socket.nextFrame()).toEqual(INVALID_ACTION_FRAME);
    await socket.close();
  });

  it('answers invalid JSON with invalid_request naming the body', async () => {
    const socket = await stack.openSocket({ token: stack.token('confused') });

    socket.send('{"action":');

    expect(await socket.nextFrame()).toEqual({ type: 'error', code: 'invalid_request', message: 'body: is not valid JSON' });
    await socket.close();
  });

  it('replies in the order messages arrive', async () => {
    const socket = await stack.openSocket({ token: stack.token('orderly') });

    socket.send({ action: 'ping' });
    socket.send('{"action":"dance"}');
    socket.send({ action: 'ping' });

    expect(await socket.nextFrame()).toEqual({ type: 'pong' });
    expect(await socket.nextFrame()).toEqual(INVALID_ACTION_FRAME);
    expect(await socket.nextFrame()).toEqual({ type: 'pong' });
  });

  it('runs $disconnect when the client closes', async () => {
    const socket = await stack.openSocket({ token: stack.token('leaver') });
    const connectionId = connectionOf(stack, 'leaver')!.context.connectionId;
    expect(await storedConnection(stack, connectionId)).toBeDefined();

    await socket.close(1000, 'bye');

    await waitFor(async () => (await storedConnection(stack, connectionId)) === undefined, { description: 'the $disconnect handler to delete the connection' });
    expect(stack.webSocket.connections.has(connectionId)).toBe(false);
  });
});

describe('WebSocket Origin allow-list', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ wsAllowedOrigins: ['https://app.example.com'] });
  });

  afterAll(async () => {
    await stack.stop();
  });

  it.each([
    ['an allowed Origin', 'https://app.example.com'],
    ['no Origin', undefined],
  ])('accepts %s', async (_case, origin) => {
    const socket = await stack.openSocket({ token: stack.token('browser'), ...(origin && { origin }) });

    socket.send({ action: 'ping' });

    expect(await socket.nextFrame()).toEqual({ type: 'pong' });
    await socket.close();
  });

  it.each(['https://evil.example.com', 'http://app.example.com', 'null'])('rejects Origin %s with 401', async (origin) => {
    const error = await handshakeError(stack.openSocket({ token: stack.token('browser'), origin }));

    expect(error.status).toBe(401);
  });
});

describe('WebSocket connection limits', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ webSocket: { idleTimeoutMs: 1_000, maxConnectionAgeMs: 3_000, keepAliveIntervalMs: 250, maxConnections: 2 } });
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('closes an idle connection with 1001', async () => {
    const socket = await stack.openSocket({ token: stack.token('idle') });
    const connectionId = connectionOf(stack, 'idle')!.context.connectionId;

    const closed = await socket.closed;

    expect(closed).toEqual({ code: 1001, reason: 'Going away: idle timeout' });
    await waitFor(async () => (await storedConnection(stack, connectionId)) === undefined, { description: '$disconnect after the idle timeout' });
  });

  it('closes a busy connection at its maximum age', async () => {
    const socket = await stack.openSocket({ token: stack.token('busy') });
    const openedAt = Date.now();
    // Client pings count as activity, so only the maximum age can end this connection.
    const keepBusy = setInterval(() => socket.socket.ping(), 100);

    const closed = await socket.closed.finally(() => clearInterval(keepBusy));

    expect(closed).toEqual({ code: 1001, reason: 'Going away: maximum connection duration' });
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(2_900);
  });

  it('answers 429 above the connection limit', async () => {
    const open = await Promise.all([stack.openSocket({ token: stack.token('first') }), stack.openSocket({ token: stack.token('second') })]);

    const error = await handshakeError(stack.openSocket({ token: stack.token('third') }));

    expect(error.status).toBe(429);
    expect(error.body).toBe('{"message":"Too Many Requests"}');
    await Promise.all(open.map((socket) => socket.close()));
  });

  it('terminates a connection without pongs', async () => {
    const socket = await stack.openSocket({ token: stack.token('silent'), autoPong: false });
    const connectionId = connectionOf(stack, 'silent')!.context.connectionId;

    const closed = await socket.closed;

    // The server drops the TCP connection without a close frame, which the client reports as 1006.
    expect(closed).toEqual({ code: 1006, reason: '' });
    await waitFor(async () => (await storedConnection(stack, connectionId)) === undefined, { description: '$disconnect after the keep-alive timeout' });
  });
});

describe('WebSocket server shutdown', () => {
  it('closes open connections with 1001', async () => {
    const stack = await startTestStack();
    const socket = await stack.openSocket({ token: stack.token('stayer') });

    await stack.stop();

    expect(await socket.closed).toEqual({ code: 1001, reason: 'Going away: server shutting down' });
  });
});
