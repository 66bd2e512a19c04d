import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { errorFields, type Logger } from '../lambdas/logger.js';
import type { WebSocketResult } from '../lambdas/realtime/websocket.js';
import { withTimeout } from './lambda-timeout.js';
import {
  buildAuthorizerEvent,
  buildConnectEvent,
  buildDisconnectEvent,
  buildMessageEvent,
  createRouteSelector,
  handshakeParameters,
  newConnectionId,
  type AuthorizerFields,
  type ConnectionContext,
  type LocalWebSocketEvent,
} from './websocket-events.js';

export type WebSocketAuthorizerLambda = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
export type WebSocketLambda = (event: LocalWebSocketEvent) => Promise<WebSocketResult>;

/** The Lambda functions behind the WebSocket API, as the CDK stack wires them. */
export interface WebSocketIntegrations {
  /** REQUEST authorizer of `$connect`. Throwing `Error('Unauthorized')` rejects the handshake with 401. */
  readonly authorizer: WebSocketAuthorizerLambda;
  readonly connect: WebSocketLambda;
  readonly disconnect: WebSocketLambda;
  /** Message routes by route key, including `$default`. */
  readonly routes: ReadonlyMap<string, WebSocketLambda>;
  /** Route selection expression that picks a message's route, e.g. `$request.body.action`. */
  readonly routeSelectionExpression: string;
}

export interface LocalWebSocketServerOptions {
  readonly integrations: WebSocketIntegrations;
  readonly logger: Logger;
  /** @default '/ws' */
  readonly path?: string;
  /** Closes a connection whose client sent no message or ping for this long. @default 600_000, API Gateway's 10-minute idle timeout */
  readonly idleTimeoutMs?: number;
  /** Closes every connection this long after its handshake. @default 7_200_000, API Gateway's 2-hour maximum connection duration */
  readonly maxConnectionAgeMs?: number;
  /** Interval of the server's ping frames. A connection that sent no pong between two pings is terminated. @default 30_000 */
  readonly keepAliveIntervalMs?: number;
  /** Maximum of open connections plus handshakes in progress. Further handshakes get 429. @default 1000 */
  readonly maxConnections?: number;
  /** Limit on each authorizer and integration call. @default 29_000, API Gateway's integration timeout */
  readonly integrationTimeoutMs?: number;
}

/** An open connection, with what the `@connections` endpoint reads and does. */
export interface LocalConnection {
  readonly context: ConnectionContext;
  readonly authorizer: AuthorizerFields;
  /** Epoch milliseconds of the last message or ping from the client, or `connectedAt` before the first one. */
  readonly lastActiveAt: number;
  /** Sends a text frame. Returns false when the connection is no longer open. */
  send(text: string): boolean;
  /** Starts the closing handshake. `$disconnect` runs once the socket has closed. */
  close(code: number, reason: string): void;
}

export interface LocalWebSocketServer {
  /** Open connections by connection id. */
  readonly connections: ReadonlyMap<string, LocalConnection>;
  /** Listener for the HTTP server's `upgrade` event. It serves `path` and rejects any other path with 404. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Stops accepting connections and closes the open ones with 1001. They
   * get no `$disconnect`, so their records in the connections table stay
   * until their TTL expires or a send to them returns 410.
   */
  close(): Promise<void>;
}

const DEFAULT_PATH = '/ws';
const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_MAX_CONNECTION_AGE_MS = 2 * 60 * 60 * 1000;
const DEFAULT_KEEP_ALIVE_INTERVAL_MS = 30_000;
const DEFAULT_MAX_CONNECTIONS = 1000;
const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;
/** API Gateway's maximum WebSocket message size; `ws` closes the connection with 1009 above it. */
const MAX_MESSAGE_BYTES = 128 * 1024;
/** Maximum messages of one connection waiting for their route. A client that sends more is disconnected with 1008. */
const MAX_QUEUED_MESSAGES = 100;
/** How long shutdown waits for clients to reply to the close frame before it terminates their sockets. */
const SHUTDOWN_CLOSE_GRACE_MS = 1000;
/** How long shutdown waits for `$disconnect` integrations that started before it. */
const SHUTDOWN_DISCONNECT_WAIT_MS = 5000;

/** Close codes and reasons the local server uses (RFC 6455, section 7.4.1). */
const CLOSE = {
  idle: { code: 1001, reason: 'Going away: idle timeout' },
  maxAge: { code: 1001, reason: 'Going away: maximum connection duration' },
  shutdown: { code: 1001, reason: 'Going away: server shutting down' },
  flooded: { code: 1008, reason: 'Too many queued messages' },
  keepAlive: { code: 1006, reason: 'Keep-alive ping timed out' },
} as const;

interface Admission {
  readonly context: ConnectionContext;
  readonly authorizer: AuthorizerFields;
}

type Rejection = { readonly status: number; readonly message: string };

/**
 * Serves API Gateway's WebSocket API on `path` of an HTTP server whose
 * `upgrade` event calls `handleUpgrade`. The handshake runs the authorizer
 * and then `$connect`, and the upgrade completes only when both succeed.
 * Each message goes to the route its body selects, and the route's `body`
 * comes back as a frame, as with a two-way route. A closed socket gets
 * `$disconnect`. Messages of one connection run one at a time, in arrival
 * order.
 */
export function createWebSocketServer(options: LocalWebSocketServerOptions): LocalWebSocketServer {
  const { integrations, logger } = options;
  const path = options.path ?? DEFAULT_PATH;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxConnectionAgeMs = options.maxConnectionAgeMs ?? DEFAULT_MAX_CONNECTION_AGE_MS;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
  const selectRoute = createRouteSelector(integrations.routeSelectionExpression, [...integrations.routes.keys()]);

  const connections = new Map<string, Connection>();
  const admissions = new WeakMap<IncomingMessage, Admission>();
  const runningDisconnects = new Set<Promise<void>>();
  let handshakesInProgress = 0;
  let closing = false;

  const invoke = <T>(name: string, invocation: Promise<T>): Promise<T> =>
    withTimeout(invocation, integrationTimeoutMs, `The ${name} integration did not return within ${integrationTimeoutMs} ms`);

  const webSocketServer = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // ws 8 validates the handshake headers before it calls this, so only well-formed upgrades reach the authorizer.
    verifyClient: (info, done) => {
      handshakesInProgress += 1;
      admit(info.req)
        .then((outcome) => {
          if ('status' in outcome) {
            done(false, outcome.status, JSON.stringify({ message: outcome.message }), { 'Content-Type': 'application/json' });
            return;
          }
          // ws 8 completes the upgrade synchronously inside done(true), and it drops a socket the client already closed without a callback.
          const clientLeft = info.req.socket.destroyed || !info.req.socket.writable;
          if (clientLeft || closing) {
            runDisconnect(outcome, { code: 1006, reason: clientLeft ? 'Client left during $connect' : CLOSE.shutdown.reason });
            done(false, 503, JSON.stringify({ message: 'Service Unavailable' }), { 'Content-Type': 'application/json' });
            return;
          }
          admissions.set(info.req, outcome);
          done(true);
        })
        .catch((error: unknown) => {
          logger.error('WebSocket handshake failed', errorFields(error));
          done(false, 500, JSON.stringify({ message: 'Internal Server Error' }), { 'Content-Type': 'application/json' });
        })
        .finally(() => {
          handshakesInProgress -= 1;
        });
    },
  });

  webSocketServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const admission = admissions.get(request);
    admissions.delete(request);
    if (!admission) {
      socket.terminate();
      return;
    }
    const connection = new Connection(socket, admission, { idleTimeoutMs, maxConnectionAgeMs });
    connections.set(admission.context.connectionId, connection);
    socket.on('message', (data, isBinary) => connection.enqueue(() => handleMessage(connection, data, isBinary)));
    socket.on('error', (error) => logger.warn('WebSocket connection error', { connectionId: admission.context.connectionId, ...errorFields(error) }));
    socket.on('close', (code, reason) => {
      connections.delete(admission.context.connectionId);
      connection.dispose();
      // Ctrl-C also stops DynamoDB Local, which shares the terminal's process group, so $disconnect would fail during shutdown.
      if (!closing) runDisconnect(admission, connection.closeInfo ?? { code, reason: reason.toString('utf8') });
    });
  });

  const keepAlive = setInterval(() => {
    for (const connection of connections.values()) {
      if (!connection.checkKeepAlive()) logger.info('WebSocket connection terminated: keep-alive ping timed out', { connectionId: connection.context.connectionId });
    }
  }, options.keepAliveIntervalMs ?? DEFAULT_KEEP_ALIVE_INTERVAL_MS);
  keepAlive.unref();

  /** Runs the authorizer and `$connect`. Returns the connection's identity, or the HTTP status that rejects the handshake. */
  async function admit(request: IncomingMessage): Promise<Admission | Rejection> {
    if (connections.size + handshakesInProgress > maxConnections) {
      logger.warn('WebSocket handshake rejected: too many connections', { maxConnections });
      return { status: 429, message: 'Too Many Requests' };
    }

    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const handshake = handshakeParameters(request, url);
    const context: ConnectionContext = {
      connectionId: newConnectionId(),
      connectedAt: Date.now(),
      domainName: handshake.headers.host ?? '127.0.0.1',
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: handshake.headers['user-agent'] ?? '',
    };
    const logFields = { connectionId: context.connectionId };

    let policy: APIGatewayAuthorizerResult;
    try {
      policy = await invoke('authorizer', integrations.authorizer(buildAuthorizerEvent(context, handshake)));
    } catch (error) {
      // The authorizer signals a rejected token by throwing exactly this message, as API Gateway expects.
      if (error instanceof Error && error.message === 'Unauthorized') return { status: 401, message: 'Unauthorized' };
      logger.error('WebSocket authorizer failed', { ...logFields, ...errorFields(error) });
      return { status: 500, message: 'Internal Server Error' };
    }
    if (!allowsConnect(policy)) {
      logger.info('WebSocket handshake rejected: the authorizer policy denies $connect', logFields);
      return { status: 403, message: 'Forbidden' };
    }

    const authorizer: AuthorizerFields = { ...(policy.context ?? {}), principalId: policy.principalId } as AuthorizerFields;
    let result: WebSocketResult;
    try {
      result = await invoke('$connect', integrations.connect(buildConnectEvent(context, authorizer, handshake)));
    } catch (error) {
      logger.error('WebSocket $connect integration failed', { ...logFields, ...errorFields(error) });
      return { status: 500, message: 'Internal Server Error' };
    }
    if (result.statusCode < 200 || result.statusCode > 299) {
      logger.info('WebSocket handshake rejected by $connect', { ...logFields, statusCode: result.statusCode });
      return { status: result.statusCode, message: 'Connection rejected by the $connect route' };
    }
    return { context, authorizer };
  }

  async function handleMessage(connection: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const bytes = toBuffer(data);
    const text = isBinary ? undefined : bytes.toString('utf8');
    const routeKey = selectRoute(text);
    const message = text === undefined ? { body: bytes.toString('base64'), isBase64Encoded: true } : { body: text, isBase64Encoded: false };
    const event = buildMessageEvent(connection.context, connection.authorizer, routeKey, message);
    const { connectionId, requestId } = event.requestContext;

    const route = integrations.routes.get(routeKey);
    if (!route) {
      connection.send(JSON.stringify({ message: 'Forbidden', connectionId, requestId }));
      return;
    }
    let result: WebSocketResult;
    try {
      result = await invoke(routeKey, route(event));
    } catch (error) {
      logger.error('WebSocket route integration failed', { connectionId, requestId, routeKey, ...errorFields(error) });
      connection.send(JSON.stringify({ message: 'Internal server error', connectionId, requestId }));
      return;
    }
    if (result.body !== undefined) connection.send(result.body);
  }

  function runDisconnect(admission: Admission, close: { readonly code: number; readonly reason: string }): void {
    const event = buildDisconnectEvent(admission.context, admission.authorizer, close);
    const running = invoke('$disconnect', integrations.disconnect(event)).then(
      () => undefined,
      (error: unknown) => logger.error('WebSocket $disconnect integration failed', { connectionId: admission.context.connectionId, ...errorFields(error) }),
    );
    runningDisconnects.add(running);
    void running.finally(() => runningDisconnects.delete(running));
  }

  return {
    connections,
    handleUpgrade: (request, socket, head) => {
      const pathname = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      if (pathname !== path || closing) {
        rejectUpgrade(socket, closing ? 503 : 404);
        return;
      }
      webSocketServer.handleUpgrade(request, socket, head, (webSocket) => webSocketServer.emit('connection', webSocket, request));
    },
    close: async () => {
      closing = true;
      clearInterval(keepAlive);

      const open = [...connections.values()];
      for (const connection of open) connection.close(CLOSE.shutdown.code, CLOSE.shutdown.reason);
      await waitUntil(() => connections.size === 0, SHUTDOWN_CLOSE_GRACE_MS);
      for (const connection of connections.values()) connection.terminate();

      await waitUntil(() => runningDisconnects.size === 0, SHUTDOWN_DISCONNECT_WAIT_MS);
      await new Promise<void>((resolve) => webSocketServer.close(() => resolve()));
    },
  };
}

/** One open socket with its timers and message queue. */
class Connection implements LocalConnection {
  readonly context: ConnectionContext;
  readonly authorizer: AuthorizerFields;
  lastActiveAt: number;
  /** The code and reason of a close the server started; `$disconnect` reports them rather than the client's echo. */
  closeInfo: { code: number; reason: string } | undefined;
  private answeredPing = true;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly maxAgeTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    admission: Admission,
    limits: { readonly idleTimeoutMs: number; readonly maxConnectionAgeMs: number },
  ) {
    this.context = admission.context;
    this.authorizer = admission.authorizer;
    this.lastActiveAt = admission.context.connectedAt;
    this.idleTimer = setTimeout(() => this.close(CLOSE.idle.code, CLOSE.idle.reason), limits.idleTimeoutMs).unref();
    this.maxAgeTimer = setTimeout(() => this.close(CLOSE.maxAge.code, CLOSE.maxAge.reason), limits.maxConnectionAgeMs).unref();
    socket.on('ping', () => this.touch());
    socket.on('pong', () => {
      this.answeredPing = true;
    });
  }

  /** Queues a message for its route, so replies leave in arrival order. */
  enqueue(handle: () => Promise<void>): void {
    this.touch();
    if (this.queued >= MAX_QUEUED_MESSAGES) {
      this.close(CLOSE.flooded.code, CLOSE.flooded.reason);
      return;
    }
    this.queued += 1;
    this.queue = this.queue.then(handle).finally(() => {
      this.queued -= 1;
    });
  }

  send(text: string): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(text);
    return true;
  }

  close(code: number, reason: string): void {
    this.closeInfo ??= { code, reason };
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.closeInfo ??= { ...CLOSE.shutdown };
    this.socket.terminate();
  }

  /** Pings the client, or terminates the socket when the previous ping got no pong. Returns false when it terminated. */
  checkKeepAlive(): boolean {
    if (!this.answeredPing) {
      this.closeInfo ??= { ...CLOSE.keepAlive };
      this.socket.terminate();
      return false;
    }
    this.answeredPing = false;
    this.socket.ping();
    return true;
  }

  dispose(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.maxAgeTimer);
  }

  private touch(): void {
    this.lastActiveAt = Date.now();
    this.idleTimer.refresh();
  }
}

/** True when the policy allows invoking the `$connect` route: some statement allows it and none denies. */
function allowsConnect(policy: APIGatewayAuthorizerResult): boolean {
  const statements = policy.policyDocument?.Statement ?? [];
  const effects = statements.map((statement) => statement.Effect);
  return effects.includes('Allow') && !effects.includes('Deny');
}

function rejectUpgrade(socket: Duplex, status: 404 | 503): void {
  const text = status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ message: text })}`);
  socket.once('finish', () => socket.destroy());
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
