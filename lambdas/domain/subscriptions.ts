import type { UnsubscribeReason } from './deltas.js';
import type { AccessDecision } from './read-windows.js';

/** The outcome of re-checking a subscription whose stored decision expired. */
export type RecheckOutcome = { readonly keep: true } | { readonly keep: false; readonly reason: UnsubscribeReason };

/**
 * Compares a fresh decision with the one the subscription was granted on.
 * A denied user is unsubscribed. So is one who could read new posts (or
 * messages) and no longer can (FULL became ARCHIVE_UNTIL), because nothing
 * new will reach them. An archive reader stays subscribed to hear about
 * edits and deletes.
 */
export function recheckOutcome(granted: AccessDecision, fresh: AccessDecision): RecheckOutcome {
  if (fresh.mode === 'DENY') return { keep: false, reason: 'access_denied' };
  if (granted.mode === 'FULL' && fresh.mode !== 'FULL') return { keep: false, reason: 'access_ended' };
  return { keep: true };
}

/** API Gateway closes WebSocket connections after 2 hours, so records expire with them. */
export const CONNECTION_LIFETIME_MS = 2 * 60 * 60 * 1000;

const CHANNEL_KEY_PREFIX = 'channel#';
const TOPIC_KEY_PREFIX = 'topic#';

/** Partition key of a channel's subscriptions in the connections table. */
export const channelSubscriptionKey = (channelId: string): string => `${CHANNEL_KEY_PREFIX}${channelId}`;

/** Partition key of a forum topic's subscriptions in the connections table. */
export const topicSubscriptionKey = (topicId: string): string => `${TOPIC_KEY_PREFIX}${topicId}`;

/** Target of a subscription: a broadcast channel or a forum topic. */
export type SubscriptionTarget = { readonly kind: 'channel'; readonly id: string } | { readonly kind: 'topic'; readonly id: string };

export function subscriptionKeyOf(target: SubscriptionTarget): string {
  return target.kind === 'channel' ? channelSubscriptionKey(target.id) : topicSubscriptionKey(target.id);
}

/**
 * Reads a subscription's partition key back into its target.
 *
 * @throws Error when the key is neither `channel#<id>` nor `topic#<id>`,
 *   which means an item that is not a subscription reached delivery.
 */
export function subscriptionTargetOf(subscriptionKey: string): SubscriptionTarget {
  if (subscriptionKey.startsWith(CHANNEL_KEY_PREFIX)) return { kind: 'channel', id: subscriptionKey.slice(CHANNEL_KEY_PREFIX.length) };
  if (subscriptionKey.startsWith(TOPIC_KEY_PREFIX)) return { kind: 'topic', id: subscriptionKey.slice(TOPIC_KEY_PREFIX.length) };
  throw new Error(`"${subscriptionKey}" is not a subscription key: expected channel#<id> or topic#<id>`);
}

/** Id field that frames about a subscription carry: `channel_id` or `topic_id`. */
export function targetFrameFields(target: SubscriptionTarget): { channel_id: string } | { topic_id: string } {
  return target.kind === 'channel' ? { channel_id: target.id } : { topic_id: target.id };
}
