import { createApp } from '../app.js';
import { InvalidRequestError } from '../domain/errors.js';
import { createWebSocketHandler, type WebSocketRoute } from '../realtime/websocket-handler.js';

/** `$default`: any message whose `action` is not subscribe, unsubscribe or ping. */
export const route: WebSocketRoute = async () => {
  throw new InvalidRequestError('action', 'must be one of subscribe, unsubscribe, ping');
};

export const handler = createWebSocketHandler(() => createApp(process.env), route);
