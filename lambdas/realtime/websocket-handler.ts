import { appResolver, type App, type AppSource } from '../app.js';
import { DomainError } from '../domain/errors.js';
import type { Caller } from '../domain/identity.js';
import { errorFields, type Logger } from '../logger.js';
import { callerFromAuthorizer, type WebSocketEvent, type WebSocketResult } from './websocket.js';

export interface WebSocketRequest {
  readonly event: WebSocketEvent;
  readonly caller: Caller;
  readonly connectionId: string;
  readonly logger: Logger;
}

/** A WebSocket message route: returns the one frame the client gets back. */
export type WebSocketRoute = (request: WebSocketRequest, app: App) => Promise<Record<string, unknown>>;

/**
 * Wraps a WebSocket message route. Routes are two-way (API Gateway sends
 * the integration's body back as a frame), so replies need no
 * `@connections` permission. A domain error becomes
 * `{"type":"error","code","message"}`, and the status stays 200 so API
 * Gateway keeps the connection open.
 */
export function createWebSocketHandler(app: AppSource, route: WebSocketRoute) {
  const resolveApp = appResolver(app);

  return async (event: WebSocketEvent): Promise<WebSocketResult> => {
    const resolved = await resolveApp();
    const connectionId = event.requestContext.connectionId;
    const caller = callerFromAuthorizer(event);
    const logger = resolved.logger.child({ requestId: event.requestContext.requestId, route: event.requestContext.routeKey, connectionId, userId: caller.userId });

    let frame: Record<string, unknown>;
    try {
      frame = await route({ event, caller, connectionId, logger }, resolved);
    } catch (error) {
      if (error instanceof DomainError) {
        logger.info('WebSocket request rejected', { code: error.code, status: error.status });
        frame = { type: 'error', code: error.code, message: error.message };
      } else {
        logger.error('WebSocket route failed', errorFields(error));
        frame = { type: 'error', code: 'internal_error', message: `Internal error; quote request id ${event.requestContext.requestId} when reporting it` };
      }
    }
    return { statusCode: 200, body: JSON.stringify(frame) };
  };
}
