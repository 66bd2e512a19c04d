import { appResolver, createApp, type AppSource } from '../app.js';
import { putConnection } from '../adapters/connection-store.js';
import { CONNECTION_LIFETIME_MS } from '../domain/subscriptions.js';
import { callerFromAuthorizer, OK, type WebSocketEvent, type WebSocketResult } from '../realtime/websocket.js';

/** `$connect`: records the connection for the authorizer-verified user; it expires with API Gateway's 2-hour limit. */
export function createConnectHandler(app: AppSource) {
  const resolveApp = appResolver(app);
  return async (event: WebSocketEvent): Promise<WebSocketResult> => {
    const resolved = await resolveApp();
    const caller = callerFromAuthorizer(event);
    const now = resolved.clock();

    await putConnection(resolved.db, resolved.config.tables, {
      connection_id: event.requestContext.connectionId,
      user_id: caller.userId,
      is_admin: caller.isAdmin,
      is_moderator: caller.isModerator,
      connected_at: new Date(now).toISOString(),
      expires_at_epoch: Math.ceil((now + CONNECTION_LIFETIME_MS) / 1000),
    });
    resolved.logger.info('WebSocket connected', { connectionId: event.requestContext.connectionId, userId: caller.userId });
    return OK;
  };
}

export const handler = createConnectHandler(() => createApp(process.env));
