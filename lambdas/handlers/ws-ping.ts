import { createApp } from '../app.js';
import { createWebSocketHandler, type WebSocketRoute } from '../realtime/websocket-handler.js';

/** `ping`: replies `{"type":"pong"}`, so clients can tell a live socket from a silent one. */
export const route: WebSocketRoute = async () => {
  return { type: 'pong' };
};

export const handler = createWebSocketHandler(() => createApp(process.env), route);
