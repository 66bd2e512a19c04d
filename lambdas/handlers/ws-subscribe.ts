import { createApp } from '../app.js';
import { getChannel } from '../adapters/channel-store.js';
import { getConnection, putSubscription } from '../adapters/connection-store.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import { CONNECTION_LIFETIME_MS, channelSubscriptionKey } from '../domain/subscriptions.js';
import { parseInput } from '../http/request.js';
import { subscribeMessageSchema } from '../http/schemas.js';
import { readDecision } from '../services/channel-access.js';
import { createWebSocketHandler, type WebSocketRoute } from '../realtime/websocket-handler.js';
import { parseMessageBody } from '../realtime/websocket.js';

/**
 * `subscribe`: checks access with the provider, stores the decision with the
 * subscription, and replies `{"type":"subscribed","channel_id","last_seq"}`
 * so the client can fetch anything after its own `after_seq` over REST.
 */
export const route: WebSocketRoute = async ({ event, caller, connectionId, logger }, app) => {
  const message = parseInput(subscribeMessageSchema, parseMessageBody(event), 'body');
  const channelId = message.channel_id;

  const channel = await getChannel(app.db, app.config.tables, channelId);
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  const decision = await readDecision(app, caller, channel);
  if (decision.mode === 'DENY') throw new ForbiddenError(`You have no read access to channel ${channelId}`);

  const connection = await getConnection(app.db, app.config.tables, connectionId);
  const now = app.clock();
  const stored = await putSubscription(app.db, app.config.tables, {
    pk: channelSubscriptionKey(channelId),
    sk: connectionId,
    connection_id: connectionId,
    user_id: caller.userId,
    is_admin: caller.isAdmin,
    decision,
    subscribed_at: new Date(now).toISOString(),
    expires_at_epoch: connection?.expires_at_epoch ?? Math.ceil((now + CONNECTION_LIFETIME_MS) / 1000),
  });
  if (!stored) throw new NotFoundError(`Connection ${connectionId} closed before the subscription was stored`);
  logger.info('Subscribed', { channelId, mode: decision.mode });

  return { type: 'subscribed', channel_id: channelId, last_seq: channel.last_seq };
};

export const handler = createWebSocketHandler(() => createApp(process.env), route);
