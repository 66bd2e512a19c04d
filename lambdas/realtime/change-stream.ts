import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { appResolver, type App, type AppSource } from '../app.js';
import { listSubscriptions } from '../adapters/connection-store.js';
import type { Change } from '../domain/deltas.js';
import { deliverBatch } from './delivery.js';
import { toFanoutBatches } from './fanout.js';
import { realtimeFor, type Realtime } from './realtime.js';
import { processStreamBatch, type DecodedRecord } from './stream-records.js';

/** Rules that turn one table stream's records into changes. */
export interface ChangeStream<Image> {
  /**
   * The ordering unit (channel or topic): records of one partition are
   * handled in stream order, different partitions concurrently.
   */
  readonly partitionOf: (image: Image) => string;
  /** Returns the change a record makes, or undefined when nothing visible to clients changed. */
  readonly changeOf: (record: DecodedRecord<Image>) => Change | undefined;
}

/**
 * Builds a stream handler for an outbox table: each record that is a
 * change becomes an integration event and an identifiers-only delta to the
 * subscribers of its channel or topic (see {@link announceChange}). Failed
 * records are reported as batch item failures.
 */
export function createChangeStreamHandler<Image>(app: AppSource, stream: ChangeStream<Image>) {
  const resolveApp = appResolver(app);

  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const resolved = await resolveApp();
    const realtime = realtimeFor(resolved);

    const handleRecord = async (record: DecodedRecord<Image>): Promise<void> => {
      const change = stream.changeOf(record);
      if (change) await announceChange(resolved, realtime, change);
    };

    return processStreamBatch<Image>(event, stream.partitionOf, handleRecord, resolved.logger);
  };
}

/**
 * Publishes the change's integration event, then fans its delta out: the
 * first batch of subscribers is served in this call, the others go to the
 * fan-out dispatcher and run in parallel. The event goes first, so a record
 * whose event failed sends no delta and is retried whole.
 */
export async function announceChange(app: App, realtime: Realtime, change: Change): Promise<void> {
  await realtime.events.publish([change]);

  const subscriptions = await listSubscriptions(app.db, app.config.tables, change.subscriptionKey);
  const [first, ...rest] = toFanoutBatches(change, subscriptions);
  await Promise.all([first && deliverBatch(app, realtime, first), rest.length > 0 && realtime.fanout.dispatch(rest)]);
}
