import { createApp, type App } from '../app.js';
import { getChannel } from '../adapters/channel-store.js';
import { getConnection, putSubscription } from '../adapters/connection-store.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import type { AccessDecision } from '../domain/read-windows.js';
import { CONNECTION_LIFETIME_MS, subscriptionKeyOf, type SubscriptionTarget } from '../domain/subscriptions.js';
import { readDecision } from '../services/channel-access.js';
import { readableTopic } from '../services/forum-access.js';
import { parseSubscribeMessage } from '../realtime/subscription-messages.js';
import { createWebSocketHandler, type WebSocketRequest, type WebSocketRoute } from '../realtime/websocket-handler.js';

/**
 * `subscribe`: checks access to the channel or topic, stores the decision
 * with the subscription, and replies
 * `{"type":"subscribed","channel_id"|"topic_id","last_seq"}` so the client
 * can fetch anything after its own `after_seq` over REST.
 */
export const route: WebSocketRoute = async (request, app) => {
  const target = parseSubscribeMessage(request.event);

  return target.kind === 'channel' ? subscribeToChannel(request, app, target.id) : subscribeToTopic(request, app, target.id);
};

async function subscribeToChannel(request: WebSocketRequest, app: App, channelId: string): Promise<Record<string, unknown>> {
  const channel = await getChannel(app.db, app.config.tables, channelId);
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  const decision = await readDecision(app, request.caller, channel);
  if (decision.mode === 'DENY') throw new ForbiddenError(`You have no read access to channel ${channelId}`);

  await storeSubscription(request, app, { kind: 'channel', id: channelId }, decision);
  request.logger.info('Subscribed', { channelId, mode: decision.mode });

  return { type: 'subscribed', channel_id: channelId, last_seq: channel.last_seq };
}

/** 404 for an unknown topic, 403 for a denied reader or a topic outside their windows, 503 when the provider cannot decide. */
async function subscribeToTopic(request: WebSocketRequest, app: App, topicId: string): Promise<Record<string, unknown>> {
  const { topic, forum, decision } = await readableTopic(app, request.caller, topicId);

  await storeSubscription(request, app, { kind: 'topic', id: topicId }, decision, forum.linked_channel_id ?? undefined);
  request.logger.info('Subscribed', { topicId, forumId: topic.forum_id, mode: decision.mode });

  return { type: 'subscribed', topic_id: topicId, last_seq: topic.last_seq };
}

async function storeSubscription(
  { caller, connectionId }: WebSocketRequest,
  app: App,
  target: SubscriptionTarget,
  decision: AccessDecision,
  linkedChannelId?: string,
): Promise<void> {
  const connection = await getConnection(app.db, app.config.tables, connectionId);
  const now = app.clock();
  const stored = await putSubscription(app.db, app.config.tables, {
    pk: subscriptionKeyOf(target),
    sk: connectionId,
    connection_id: connectionId,
    user_id: caller.userId,
    is_admin: caller.isAdmin,
    is_moderator: caller.isModerator,
    decision,
    subscribed_at: new Date(now).toISOString(),
    expires_at_epoch: connection?.expires_at_epoch ?? Math.ceil((now + CONNECTION_LIFETIME_MS) / 1000),
  }, linkedChannelId);
  if (!stored) throw new NotFoundError(`Connection ${connectionId} closed before the subscription was stored`);
}

export const handler = createWebSocketHandler(() => createApp(process.env), route);
