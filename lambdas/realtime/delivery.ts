import type { App } from '../app.js';
import { getChannel, type StoredChannel } from '../adapters/channel-store.js';
import { deleteConnection, deleteSubscription, updateSubscriptionDecision, type StoredSubscription } from '../adapters/connection-store.js';
import { AccessUnavailableError } from '../domain/errors.js';
import { canReadPostAt, type AccessDecision } from '../domain/read-windows.js';
import { channelSubscriptionKey, recheckOutcome } from '../domain/subscriptions.js';
import { errorFields } from '../logger.js';
import { forEachConcurrently } from '../concurrency.js';
import { readDecision } from '../services/channel-access.js';
import type { FanoutBatch } from './fanout.js';
import type { Realtime } from './realtime.js';

/** Frames sent at once by one delivery; API Gateway's @connections calls are independent. */
const SEND_CONCURRENCY = 25;

/**
 * Delivers one change to a batch of subscribers. Each subscriber's stored
 * decision is re-checked when it has expired; a subscriber who lost access
 * gets `unsubscribed` instead of the delta and loses the subscription.
 * Connections that return 410 are removed. Any other send failure throws
 * after the whole batch was tried, so the caller retries it (clients drop
 * repeats by seq).
 */
export async function deliverBatch(app: App, realtime: Realtime, batch: FanoutBatch): Promise<void> {
  const { change } = batch;
  const channelId = change.delta.channel_id;
  const logger = app.logger.child({ channelId, seq: change.delta.seq, dedupeKey: change.dedupeKey });
  // Read once, and only when some subscriber's decision turns out to be
  // expired, which can happen while the batch is being sent.
  let channel: Promise<StoredChannel | undefined> | undefined;
  const channelForRecheck = (): Promise<StoredChannel | undefined> => (channel ??= getChannel(app.db, app.config.tables, channelId));

  const failures: unknown[] = [];
  let sent = 0;
  await forEachConcurrently(batch.subscriptions, SEND_CONCURRENCY, async (subscription) => {
    try {
      const decision = await currentDecision(app, realtime, subscription, channelForRecheck);
      if (!decision) return;
      if (!canReadPostAt(decision, change.publishedAt)) return;

      const outcome = await realtime.connections.send(subscription.connection_id, change.delta);
      if (outcome === 'sent') sent += 1;
      if (outcome === 'gone') {
        logger.info('Removed a gone connection', { connectionId: subscription.connection_id });
        await deleteConnection(app.db, app.config.tables, subscription.connection_id);
      }
    } catch (error) {
      logger.warn('Delivery to a connection failed', { connectionId: subscription.connection_id, ...errorFields(error) });
      failures.push(error);
    }
  });

  if (sent > 0) app.metrics.count('DeltasSent', sent, { Type: change.delta.type });
  if (failures.length > 0) {
    throw new Error(`Delivery failed for ${failures.length} of ${batch.subscriptions.length} connections`, { cause: failures[0] });
  }
}

/**
 * Returns the decision to deliver under, re-checking an expired one, or
 * undefined when the subscriber must not get this delta (unsubscribed, or
 * the provider is unavailable: fail closed and let the client catch up over
 * REST).
 */
async function currentDecision(
  app: App,
  realtime: Realtime,
  subscription: StoredSubscription,
  channelForRecheck: () => Promise<StoredChannel | undefined>,
): Promise<AccessDecision | undefined> {
  if (subscription.decision.validUntil > app.clock()) return subscription.decision;
  const channelId = subscription.pk.slice(channelSubscriptionKey('').length);
  const channel = await channelForRecheck();

  let fresh: AccessDecision;
  try {
    fresh = channel
      ? await readDecision(app, { userId: subscription.user_id, isAdmin: subscription.is_admin, isModerator: false }, channel)
      : { mode: 'DENY', validUntil: app.clock() };
  } catch (error) {
    if (!(error instanceof AccessUnavailableError)) throw error;
    app.logger.warn('Skipped a delta because the access provider is unavailable', { channelId, connectionId: subscription.connection_id, userId: subscription.user_id });
    return undefined;
  }

  const outcome = recheckOutcome(subscription.decision, fresh);
  if (!outcome.keep) {
    await deleteSubscription(app.db, app.config.tables, subscription.pk, subscription.connection_id);
    await realtime.connections.send(subscription.connection_id, { type: 'unsubscribed', channel_id: channelId, reason: outcome.reason });
    return undefined;
  }
  await updateSubscriptionDecision(app.db, app.config.tables, subscription.pk, subscription.connection_id, fresh);
  return fresh;
}

