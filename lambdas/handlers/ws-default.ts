import { createApp } from '../app.js';
import { InvalidRequestError } from '../domain/errors.js';
import { createWebSocketHandler, type WebSocketRoute } from '../realtime/websocket-handler.js';
import { parseMessageBody } from '../realtime/websocket.js';

/** `$default`: a message that is not JSON, or whose `action` is not subscribe, unsubscribe or ping. */
export const route: WebSocketRoute = async ({ event }) => {
  parseMessageBody(event);
  throw new InvalidRequestError('action', 'must be one of subscribe, unsubscribe, ping');
};

export const handler = createWebSocketHandler(() => createApp(process.env), route);
