import { appResolver, createApp, type AppSource } from '../app.js';
import { deleteConnection } from '../adapters/connection-store.js';
import { OK, type WebSocketEvent, type WebSocketResult } from '../realtime/websocket.js';

/** `$disconnect`: removes the connection and its subscriptions. API Gateway calls it at most once per connection and may skip it, so delivery also removes connections that return 410. */
export function createDisconnectHandler(app: AppSource) {
  const resolveApp = appResolver(app);
  return async (event: WebSocketEvent): Promise<WebSocketResult> => {
    const resolved = await resolveApp();

    await deleteConnection(resolved.db, resolved.config.tables, event.requestContext.connectionId);
    resolved.logger.info('WebSocket disconnected', { connectionId: event.requestContext.connectionId });
    return OK;
  };
}

export const handler = createDisconnectHandler(() => createApp(process.env));
