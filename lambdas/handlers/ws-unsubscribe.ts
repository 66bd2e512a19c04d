import { createApp } from '../app.js';
import { deleteSubscription } from '../adapters/connection-store.js';
import { channelSubscriptionKey } from '../domain/subscriptions.js';
import { parseInput } from '../http/request.js';
import { unsubscribeMessageSchema } from '../http/schemas.js';
import { createWebSocketHandler, type WebSocketRoute } from '../realtime/websocket-handler.js';
import { parseMessageBody } from '../realtime/websocket.js';

/** `unsubscribe`: removes the subscription and confirms with `{"type":"unsubscribed","reason":"requested"}`. */
export const route: WebSocketRoute = async ({ event, connectionId }, app) => {
  const message = parseInput(unsubscribeMessageSchema, parseMessageBody(event), 'body');

  await deleteSubscription(app.db, app.config.tables, channelSubscriptionKey(message.channel_id), connectionId);

  return { type: 'unsubscribed', channel_id: message.channel_id, reason: 'requested' };
};

export const handler = createWebSocketHandler(() => createApp(process.env), route);
