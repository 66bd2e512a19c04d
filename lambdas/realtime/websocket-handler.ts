import type { App } from '../app.js';
import { DomainError } from '../domain/errors.js';
import type { Caller } from '../domain/identity.js';
import { errorFields, type Logger } from '../logger.js';
import { realtimeFor } from './realtime.js';
import { callerFromAuthorizer, OK, type WebSocketEvent, type WebSocketResult } from './websocket.js';

export interface WebSocketRequest {
  readonly event: WebSocketEvent;
  readonly caller: Caller;
  readonly connectionId: string;
  readonly logger: Logger;
  /** Sends a frame to this connection through @connections. */
  reply(frame: Record<string, unknown>): Promise<void>;
}

export type WebSocketRoute = (request: WebSocketRequest, app: App) => Promise<void>;

/**
 * Wraps a WebSocket message route. The route answers with frames; a domain
 * error becomes `{"type":"error","code","message"}` on the socket, and the
 * integration itself always returns 200 so API Gateway keeps the
 * connection open.
 */
export function createWebSocketHandler(app: App | (() => Promise<App>), route: WebSocketRoute) {
  let appPromise: Promise<App> | undefined;
  const resolveApp = (): Promise<App> => (appPromise ??= typeof app === 'function' ? app() : Promise.resolve(app));

  return async (event: WebSocketEvent): Promise<WebSocketResult> => {
    const resolved = await resolveApp();
    const connectionId = event.requestContext.connectionId;
    const caller = callerFromAuthorizer(event);
    const logger = resolved.logger.child({ requestId: event.requestContext.requestId, route: event.requestContext.routeKey, connectionId, userId: caller.userId });
    const reply = async (frame: Record<string, unknown>): Promise<void> => {
      await realtimeFor(resolved).connections.send(connectionId, frame);
    };

    try {
      await route({ event, caller, connectionId, logger, reply }, resolved);
    } catch (error) {
      if (!(error instanceof DomainError)) {
        logger.error('WebSocket route failed', errorFields(error));
        await reply({ type: 'error', code: 'internal_error', message: `Internal error; quote request id ${event.requestContext.requestId} when reporting it` }).catch(() => undefined);
        return OK;
      }
      logger.info('WebSocket request rejected', { code: error.code, status: error.status });
      await reply({ type: 'error', code: error.code, message: error.message });
    }
    return OK;
  };
}
