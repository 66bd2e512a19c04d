import { createApp } from '../app.js';
import { deleteSubscription } from '../adapters/connection-store.js';
import { subscriptionKeyOf, targetFrameFields } from '../domain/subscriptions.js';
import { parseUnsubscribeMessage } from '../realtime/subscription-messages.js';
import { createWebSocketHandler, type WebSocketRoute } from '../realtime/websocket-handler.js';

/**
 * `unsubscribe`: removes the channel or topic subscription and confirms with
 * `{"type":"unsubscribed","channel_id"|"topic_id","reason":"requested"}`.
 */
export const route: WebSocketRoute = async ({ event, connectionId }, app) => {
  const target = parseUnsubscribeMessage(event);

  await deleteSubscription(app.db, app.config.tables, subscriptionKeyOf(target), connectionId);

  return { type: 'unsubscribed', ...targetFrameFields(target), reason: 'requested' };
};

export const handler = createWebSocketHandler(() => createApp(process.env), route);
