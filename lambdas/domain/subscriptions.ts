import type { UnsubscribeReason } from './deltas.js';
import type { AccessDecision } from './read-windows.js';

/** The outcome of re-checking a subscription whose stored decision expired. */
export type RecheckOutcome = { readonly keep: true } | { readonly keep: false; readonly reason: UnsubscribeReason };

/**
 * Compares a fresh decision with the one the subscription was granted on.
 * A denied user is unsubscribed; so is one who could read new posts and no
 * longer can (FULL became ARCHIVE_UNTIL), because no new post will reach
 * them. An archive reader stays subscribed to hear about edits and deletes.
 */
export function recheckOutcome(granted: AccessDecision, fresh: AccessDecision): RecheckOutcome {
  if (fresh.mode === 'DENY') return { keep: false, reason: 'access_denied' };
  if (granted.mode === 'FULL' && fresh.mode !== 'FULL') return { keep: false, reason: 'access_ended' };
  return { keep: true };
}

/** API Gateway closes WebSocket connections after 2 hours, so records expire with them. */
export const CONNECTION_LIFETIME_MS = 2 * 60 * 60 * 1000;

/** Partition key of a channel's subscriptions in the connections table. */
export const channelSubscriptionKey = (channelId: string): string => `channel#${channelId}`;
