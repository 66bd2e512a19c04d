import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StoredSubscription } from '../adapters/connection-store.js';
import type { Change, PostChange } from '../domain/deltas.js';
import { channelSubscriptionKey } from '../domain/subscriptions.js';

/**
 * One slice of a change's subscribers, delivered by one worker. Plain data:
 * the SQS dispatcher sends it as JSON and the worker parses it back.
 */
export interface FanoutBatch {
  readonly change: Change;
  readonly subscriptions: readonly StoredSubscription[];
}

/** Runs fan-out batches in parallel, away from the stream handler's serial loop. */
export interface FanoutDispatcher {
  dispatch(batches: readonly FanoutBatch[]): Promise<void>;
}

/** Subscriptions per batch: one SQS message stays far below 256 KB and one worker sends them with bounded concurrency. */
export const FANOUT_BATCH_SIZE = 100;
/** SendMessageBatch accepts at most 10 messages. */
const SEND_MESSAGE_BATCH = 10;

/** Splits subscribers into batches of at most `size`. */
export function toFanoutBatches(change: Change, subscriptions: readonly StoredSubscription[], size = FANOUT_BATCH_SIZE): FanoutBatch[] {
  const batches: FanoutBatch[] = [];
  for (let start = 0; start < subscriptions.length; start += size) {
    batches.push({ change, subscriptions: subscriptions.slice(start, start + size) });
  }
  return batches;
}

/** A post change as fan-out messages carried it before forums: `publishedAt` instead of `readableAt`, no `subscriptionKey`. */
interface LegacyPostChange extends Omit<PostChange, 'subscriptionKey' | 'readableAt'> {
  readonly publishedAt: number;
}

/**
 * Parses a fan-out message body. Messages queued by the release before
 * forums carry a post change in the old shape, for example when in flight
 * during the deploy or redriven from the dead-letter queue. They are read as
 * post changes instead of failing into the dead-letter queue again.
 */
export function parseFanoutBatch(body: string): FanoutBatch {
  const batch = JSON.parse(body) as FanoutBatch;
  if (batch.change.subscriptionKey !== undefined) return batch;

  const { publishedAt, ...change } = batch.change as unknown as LegacyPostChange;
  return { ...batch, change: { ...change, subscriptionKey: channelSubscriptionKey(change.delta.channel_id), readableAt: publishedAt } };
}

/** Sends each batch as one message to the fan-out queue, whose worker function delivers it. */
export class SqsFanoutDispatcher implements FanoutDispatcher {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async dispatch(batches: readonly FanoutBatch[]): Promise<void> {
    for (let start = 0; start < batches.length; start += SEND_MESSAGE_BATCH) {
      const slice = batches.slice(start, start + SEND_MESSAGE_BATCH);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: slice.map((batch, index) => ({ Id: String(index), MessageBody: JSON.stringify(batch) })),
        }),
      );
      if ((result.Failed ?? []).length > 0) {
        throw new Error(`SQS rejected ${result.Failed!.length} of ${slice.length} fan-out messages: ${result.Failed!.map((entry) => entry.Code).join(', ')}`);
      }
    }
  }
}

/** Delivers every batch concurrently in this process; the local stack's stand-in for the queue and its worker. */
export class InProcessFanoutDispatcher implements FanoutDispatcher {
  constructor(private readonly deliver: (batch: FanoutBatch) => Promise<void>) {}

  async dispatch(batches: readonly FanoutBatch[]): Promise<void> {
    await Promise.all(batches.map((batch) => this.deliver(batch)));
  }
}
