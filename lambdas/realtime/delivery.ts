import type { App } from '../app.js';
import { deleteConnection, deleteSubscription, updateSubscriptionDecision, type StoredSubscription } from '../adapters/connection-store.js';
import { AccessUnavailableError } from '../domain/errors.js';
import { canReadPostAt, type AccessDecision } from '../domain/read-windows.js';
import { recheckOutcome, subscriptionTargetOf, targetFrameFields, type SubscriptionTarget } from '../domain/subscriptions.js';
import { errorFields, type Logger } from '../logger.js';
import { forEachConcurrently } from '../concurrency.js';
import type { FanoutBatch } from './fanout.js';
import type { Realtime } from './realtime.js';
import { freshDecisionFor, type FreshDecision } from './recheck.js';

/** Frames sent at once by one delivery; API Gateway's @connections calls are independent. */
const SEND_CONCURRENCY = 25;

/**
 * Delivers one change (of a post, a message or a topic) to a batch of the
 * subscribers of its channel or topic. Each subscriber's stored decision is
 * re-checked when it has expired; a subscriber who lost access gets
 * `unsubscribed` instead of the delta and loses the subscription.
 * Connections that return 410 are removed. Any other send failure throws
 * after the whole batch was tried, so the caller retries it (clients drop
 * repeats by dedupe key).
 */
export async function deliverBatch(app: App, realtime: Realtime, batch: FanoutBatch): Promise<void> {
  const { change } = batch;
  const target = subscriptionTargetOf(change.subscriptionKey);
  const seq = 'seq' in change.delta ? { seq: change.delta.seq } : {};
  const logger = app.logger.child({ ...targetLogFields(target), ...seq, deltaType: change.delta.type, dedupeKey: change.dedupeKey });
  // Reads the channel (or topic and forum) once, and only when some
  // subscriber's decision turns out to be expired, which can happen while
  // the batch is being sent.
  const freshDecision = freshDecisionFor(app, target);

  const failures: unknown[] = [];
  let sent = 0;
  await forEachConcurrently(batch.subscriptions, SEND_CONCURRENCY, async (subscription) => {
    try {
      const decision = await currentDecision(app, realtime, logger, target, subscription, freshDecision);
      if (!decision) return;
      if (!canReadPostAt(decision, change.readableAt)) return;

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
  logger: Logger,
  target: SubscriptionTarget,
  subscription: StoredSubscription,
  freshDecision: FreshDecision,
): Promise<AccessDecision | undefined> {
  if (subscription.decision.validUntil > app.clock()) return subscription.decision;

  let fresh: AccessDecision;
  try {
    fresh = await freshDecision(subscription);
  } catch (error) {
    if (!(error instanceof AccessUnavailableError)) throw error;
    logger.warn('Skipped a delta because the access provider is unavailable', { connectionId: subscription.connection_id, userId: subscription.user_id });
    return undefined;
  }

  const outcome = recheckOutcome(subscription.decision, fresh);
  if (!outcome.keep) {
    await deleteSubscription(app.db, app.config.tables, subscription.pk, subscription.connection_id);
    await realtime.connections.send(subscription.connection_id, { type: 'unsubscribed', ...targetFrameFields(target), reason: outcome.reason });
    return undefined;
  }
  await updateSubscriptionDecision(app.db, app.config.tables, subscription.pk, subscription.connection_id, fresh);
  return fresh;
}

/** Log keys for the channel or topic a delivery is about. */
function targetLogFields(target: SubscriptionTarget): { channelId: string } | { topicId: string } {
  return target.kind === 'channel' ? { channelId: target.id } : { topicId: target.id };
}
