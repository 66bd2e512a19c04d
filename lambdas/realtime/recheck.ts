import type { App } from '../app.js';
import { getChannel, type StoredChannel } from '../adapters/channel-store.js';
import type { StoredSubscription } from '../adapters/connection-store.js';
import { getForum, getTopic } from '../adapters/forum-store.js';
import type { StoredForum, StoredTopic } from '../domain/forums.js';
import type { Caller } from '../domain/identity.js';
import { canReadPostAt, type AccessDecision } from '../domain/read-windows.js';
import type { SubscriptionTarget } from '../domain/subscriptions.js';
import { readDecision } from '../services/channel-access.js';
import { forumDecision } from '../services/forum-access.js';

/**
 * Asks for a subscriber's current decision. Throws AccessUnavailableError
 * when the provider cannot decide.
 */
export type FreshDecision = (subscription: StoredSubscription) => Promise<AccessDecision>;

/** Returns the caller a subscription was granted to, from the fields stored with it. */
export function subscriberOf(subscription: StoredSubscription): Caller {
  return { userId: subscription.user_id, isAdmin: subscription.is_admin, isModerator: subscription.is_moderator ?? false };
}

/**
 * Returns a function that decides again for the subscribers of one channel
 * or topic, with the same rules as `subscribe`. The items the decision
 * depends on (the channel, or the topic and its forum) are read on the first
 * call and reused for the rest of the delivery. A delivery with no expired
 * decision therefore reads nothing.
 */
export function freshDecisionFor(app: App, target: SubscriptionTarget): FreshDecision {
  return target.kind === 'channel' ? channelDecisions(app, target.id) : topicDecisions(app, target.id);
}

function channelDecisions(app: App, channelId: string): FreshDecision {
  let channel: Promise<StoredChannel | undefined> | undefined;

  return async (subscription) => {
    const loaded = await (channel ??= getChannel(app.db, app.config.tables, channelId));
    if (!loaded) return { mode: 'DENY', validUntil: app.clock() };
    return readDecision(app, subscriberOf(subscription), loaded);
  };
}

interface TopicPlace {
  readonly topic: StoredTopic;
  readonly forum: StoredForum;
}

function topicDecisions(app: App, topicId: string): FreshDecision {
  let place: Promise<TopicPlace | undefined> | undefined;
  const load = async (): Promise<TopicPlace | undefined> => {
    const topic = await getTopic(app.db, app.config.tables, topicId);
    if (!topic) return undefined;
    const forum = await getForum(app.db, app.config.tables, topic.forum_id);
    return forum && { topic, forum };
  };

  return async (subscription) => {
    const loaded = await (place ??= load());
    if (!loaded) return { mode: 'DENY', validUntil: app.clock() };

    const decision = await forumDecision(app, subscriberOf(subscription), loaded.forum);
    // Reading a topic also needs its created_at inside the windows (see
    // readableTopic); a topic outside them has nothing the reader may see.
    const topicOutsideWindows = decision.mode !== 'DENY' && !canReadPostAt(decision, Date.parse(loaded.topic.created_at));
    return topicOutsideWindows ? { mode: 'DENY', validUntil: decision.validUntil } : decision;
  };
}
