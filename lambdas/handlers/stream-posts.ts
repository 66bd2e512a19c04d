import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { appResolver, createApp, type AppSource } from '../app.js';
import { listSubscriptions } from '../adapters/connection-store.js';
import { postChangeOf, type PostImage } from '../domain/deltas.js';
import { channelSubscriptionKey } from '../domain/subscriptions.js';
import { deliverBatch } from '../realtime/delivery.js';
import { toFanoutBatches } from '../realtime/fanout.js';
import { realtimeFor } from '../realtime/realtime.js';
import { processStreamBatch, type DecodedRecord } from '../realtime/stream-records.js';

/**
 * Consumes the posts table stream (the outbox): each committed publish,
 * edit or delete becomes an integration event and an identifiers-only delta
 * to every subscribed socket whose decision admits the post. The first
 * batch of subscribers is served here; further batches go to the fan-out
 * dispatcher and run in parallel.
 */
export function createStreamHandler(app: AppSource) {
  const resolveApp = appResolver(app);

  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const resolved = await resolveApp();
    const realtime = realtimeFor(resolved);

    const handleRecord = async (record: DecodedRecord<PostImage>): Promise<void> => {
      const change = postChangeOf(record.oldImage, record.newImage);
      if (!change) return;

      await realtime.events.publish([change]);
      const subscriptions = await listSubscriptions(resolved.db, resolved.config.tables, channelSubscriptionKey(change.delta.channel_id));
      const [first, ...rest] = toFanoutBatches(change, subscriptions);
      await Promise.all([first && deliverBatch(resolved, realtime, first), rest.length > 0 && realtime.fanout.dispatch(rest)]);
    };

    return processStreamBatch<PostImage>(event, (image) => image.channel_id, handleRecord, resolved.logger);
  };
}

export const handler = createStreamHandler(() => createApp(process.env));
