import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { appResolver, createApp, type AppSource } from '../app.js';
import { errorFields } from '../logger.js';
import { deliverBatch } from '../realtime/delivery.js';
import { parseFanoutBatch } from '../realtime/fanout.js';
import { realtimeFor } from '../realtime/realtime.js';

/**
 * Consumes the fan-out queue: each message is one batch of subscribers for
 * one change. Batches run concurrently; a failed batch is reported alone so
 * SQS redelivers only it.
 */
export function createFanoutWorker(app: AppSource) {
  const resolveApp = appResolver(app);
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const resolved = await resolveApp();
    const realtime = realtimeFor(resolved);

    const failures = await Promise.all(
      event.Records.map(async (record) => {
        try {
          await deliverBatch(resolved, realtime, parseFanoutBatch(record.body));
          return undefined;
        } catch (error) {
          resolved.logger.warn('Fan-out batch failed; SQS will redeliver it', { messageId: record.messageId, ...errorFields(error) });
          return { itemIdentifier: record.messageId };
        }
      }),
    );
    return { batchItemFailures: failures.filter((failure) => failure !== undefined) };
  };
}

export const handler = createFanoutWorker(() => createApp(process.env));
