import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamsApiRecord,
  type DynamoDBStreamsClient,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { errorFields, type Logger } from '../lambdas/logger.js';
import type { DeadLetterCondition, DeadLetterStore } from './dead-letter-store.js';
import { LOCAL_REGION } from './dynamodb-local.js';
import { withTimeout } from './lambda-timeout.js';
import { toLambdaRecord } from './stream-events.js';

/** An event source mapping's batching and failure settings, as the CDK stack configures them. */
export interface StreamSettings {
  /** Maximum records per invocation, also the GetRecords limit. */
  readonly batchSize: number;
  /** Retries of a failing batch before it is dead-lettered, or -1 to retry until the record expires. */
  readonly retryAttempts: number;
  /** Splits a failing batch in two before retrying it. A split does not count as a retry. */
  readonly bisectBatchOnError: boolean;
  /** Reads `batchItemFailures` from the handler's response. Without it, only a throw or a timeout fails a batch. */
  readonly reportBatchItemFailures: boolean;
  /** Maximum record age. Older records are dead-lettered unprocessed, and -1 keeps them. */
  readonly maxRecordAgeSeconds: number;
}

/** A stream-triggered Lambda handler. */
export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

/** One table stream and the function it triggers: the local counterpart of an event source mapping. */
export interface StreamSource {
  readonly tableName: string;
  /** Function name for logs and the dead letters' `functionArn`. */
  readonly functionName: string;
  readonly handler: StreamHandler;
  readonly settings: StreamSettings;
  /** Lambda timeout: an invocation still running after it counts as failed. */
  readonly timeoutSeconds: number;
  /**
   * Starting position in the shards open at start-up: TRIM_HORIZON
   * delivers every record the stream still holds, LATEST only records
   * written from now on. Shards that open later are always read from
   * their start, as Lambda does.
   */
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
}

export interface StreamPollerOptions {
  /** Client for DescribeTable, which gives each table's latest stream ARN. */
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly sources: readonly StreamSource[];
  readonly deadLetters: DeadLetterStore;
  readonly logger: Logger;
  /** Wait before reading again a stream that had no new records. @default 100 */
  readonly pollIntervalMs?: number;
  /** How often the shard list is read again to find new shards. @default 1000 */
  readonly shardRefreshIntervalMs?: number;
  /** Delay before the first retry of a failed batch, doubling for each further retry up to 2 s. @default 100 */
  readonly retryBaseDelayMs?: number;
  /** Epoch-ms clock for record ages, which tests move. @default Date.now */
  readonly clock?: () => number;
}

export interface StreamPoller {
  /** Stops reading and waits for the poll loops to end. A running invocation is abandoned, and its batch is not checkpointed. */
  stop(): Promise<void>;
}

const DEFAULT_POLL_INTERVAL_MS = 100;
const DEFAULT_SHARD_REFRESH_INTERVAL_MS = 1000;
const DEFAULT_RETRY_BASE_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 2000;
/** Wait after a failed Streams API call (throttling, DynamoDB Local restarting) before the loop tries again. */
const API_ERROR_DELAY_MS = 1000;
/** Account id in the ARNs of local functions, as in the local WebSocket API. */
const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * Reads table streams with the real DynamoDB Streams API and invokes each
 * source's handler with genuine DynamoDBStreamEvents, with Lambda's event
 * source mapping semantics:
 *
 * - Records of one shard are delivered in order, at most `batchSize` at a
 *   time, and a child shard only after its parent is drained.
 * - With `reportBatchItemFailures`, the records before the lowest reported
 *   sequence number are checkpointed and the batch is retried from it. An
 *   identifier that is not in the batch fails the whole batch. A throw or a
 *   timeout fails the whole batch.
 * - With `bisectBatchOnError`, a failed batch is split at the failed record
 *   and then in halves until the failing record is alone. Splits do not
 *   count as retries, as the Lambda developer guide states for DynamoDB
 *   event sources.
 * - When the failing batch has failed `retryAttempts` more times, or its
 *   records passed `maxRecordAgeSeconds`, it goes to the dead-letter store
 *   and reading continues after it.
 *
 * Shards are polled one after another, so a retrying shard delays the others.
 */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const abort = new AbortController();
  const readers = await Promise.all(
    options.sources.map(async (source) => new StreamReader(source, await latestStreamArn(options.dynamodb, source.tableName), options, abort.signal)),
  );
  const loops = readers.map((reader) => reader.run());

  return {
    stop: async () => {
      abort.abort(new Error('The stream poller is stopping'));
      await Promise.all(loops);
    },
  };
}

async function latestStreamArn(dynamodb: DynamoDBClient, tableName: string): Promise<string> {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn || Table.StreamSpecification?.StreamEnabled === false) {
    throw new Error(`Table ${tableName} has no stream: enable its StreamSpecification in lib/table-definitions.ts`);
  }
  return Table.LatestStreamArn;
}

/** Reads all shards of one table's stream for one source. */
class StreamReader {
  private readonly shards = new Map<string, ShardReader>();
  private nextShardRefreshAt = 0;
  private isFirstRefresh = true;

  constructor(
    private readonly source: StreamSource,
    private readonly streamArn: string,
    private readonly options: StreamPollerOptions,
    private readonly signal: AbortSignal,
  ) {}

  async run(): Promise<void> {
    const logger = this.options.logger.child({ tableName: this.source.tableName, functionName: this.source.functionName });
    while (!this.signal.aborted) {
      try {
        if (Date.now() >= this.nextShardRefreshAt) await this.refreshShards();
        const delivered = await this.pollShards();
        if (!delivered) await pause(this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, this.signal);
      } catch (error) {
        if (this.signal.aborted) break;
        logger.warn('Reading the table stream failed, retrying in 1 s', { streamArn: this.streamArn, ...errorFields(error) });
        await pause(API_ERROR_DELAY_MS, this.signal);
      }
    }
  }

  /** Lists the stream's shards and adds readers for new ones. Drained shards that the stream no longer lists are removed. */
  private async refreshShards(): Promise<void> {
    const listed: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.options.streams.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
        { abortSignal: this.signal },
      );
      listed.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);

    for (const shard of listed) {
      if (!shard.ShardId || this.shards.has(shard.ShardId)) continue;
      const isOpen = shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
      const startsAtLatest = this.isFirstRefresh && this.source.startingPosition === 'LATEST';
      const reader = new ShardReader(shard.ShardId, shard.ParentShardId, startsAtLatest ? 'LATEST' : 'TRIM_HORIZON', this.source, this.streamArn, this.options, this.signal);
      // With LATEST, shards already closed at start-up hold only old records, so they are skipped.
      if (startsAtLatest && !isOpen) reader.finished = true;
      this.shards.set(shard.ShardId, reader);
    }

    const listedIds = new Set(listed.map((shard) => shard.ShardId));
    for (const [shardId, reader] of this.shards) {
      if (reader.finished && !listedIds.has(shardId)) this.shards.delete(shardId);
    }
    this.isFirstRefresh = false;
    this.nextShardRefreshAt = Date.now() + (this.options.shardRefreshIntervalMs ?? DEFAULT_SHARD_REFRESH_INTERVAL_MS);
  }

  /** Runs one step on every shard whose parent is drained. Returns true when any shard delivered records. */
  private async pollShards(): Promise<boolean> {
    let delivered = false;
    for (const reader of this.shards.values()) {
      if (reader.finished || this.signal.aborted) continue;
      const parent = reader.parentShardId === undefined ? undefined : this.shards.get(reader.parentShardId);
      if (parent && !parent.finished) continue;

      delivered = (await reader.step()) || delivered;
      // A drained shard usually has children, so the shard list is read again at once.
      if (reader.finished) this.nextShardRefreshAt = 0;
    }
    return delivered;
  }
}

/** The outcome of one invocation: the index of the first record to retry, or undefined when the batch succeeded. */
interface InvocationOutcome {
  readonly failedIndex?: number;
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
  /** True when the function threw or timed out, rather than returning batch item failures. */
  readonly functionError?: boolean;
}

/** Reads one shard and delivers its records with the retry, bisect and dead-letter rules. */
class ShardReader {
  finished = false;
  /** Records read and not yet checkpointed, oldest first. */
  private readonly pending: StreamsApiRecord[] = [];
  /** Sizes of the next batches after a split, front first. When it is empty, batches are full size. */
  private readonly plannedBatchSizes: number[] = [];
  /** Failed invocations of the current failing batch, reset when a batch succeeds or is dead-lettered. */
  private failedInvocations = 0;
  private iterator: string | undefined;
  private shardClosed = false;
  private lastReadSequenceNumber: string | undefined;
  private readonly logger: Logger;

  constructor(
    readonly shardId: string,
    readonly parentShardId: string | undefined,
    private startingPosition: 'TRIM_HORIZON' | 'LATEST',
    private readonly source: StreamSource,
    private readonly streamArn: string,
    private readonly options: StreamPollerOptions,
    private readonly signal: AbortSignal,
  ) {
    this.logger = options.logger.child({ tableName: source.tableName, functionName: source.functionName, shardId });
  }

  /** Reads when nothing is pending, then delivers one batch. Returns true when it invoked the handler. */
  async step(): Promise<boolean> {
    if (this.pending.length === 0) {
      if (this.shardClosed) {
        this.finished = true;
        return false;
      }
      await this.read();
    }

    await this.discardExpiredRecords();
    if (this.pending.length === 0) return false;

    const size = Math.min(this.plannedBatchSizes.shift() ?? this.source.settings.batchSize, this.pending.length);
    const batch = this.pending.slice(0, size);
    const outcome = await this.invoke(batch);
    if (outcome.failedIndex === undefined) {
      this.checkpoint(size);
      this.failedInvocations = 0;
      return true;
    }
    await this.handleFailure(batch, outcome.failedIndex, outcome);
    return true;
  }

  private async read(): Promise<void> {
    const { streams } = this.options;
    this.iterator ??= await this.shardIterator();
    try {
      const output = await streams.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: this.source.settings.batchSize }), { abortSignal: this.signal });
      const records = output.Records ?? [];
      this.pending.push(...records);
      this.lastReadSequenceNumber = records.at(-1)?.dynamodb?.SequenceNumber ?? this.lastReadSequenceNumber;
      this.iterator = output.NextShardIterator;
      // A closed shard that has been read to its end returns no next iterator.
      if (this.iterator === undefined) this.shardClosed = true;
    } catch (error) {
      // Shard iterators expire 15 minutes after they are issued. A new one continues after the last record read.
      if (error instanceof ExpiredIteratorException) {
        this.iterator = undefined;
        return;
      }
      // The records after the last one read were trimmed (a stream keeps 24 hours), so reading continues from the oldest left.
      if (error instanceof TrimmedDataAccessException) {
        // DynamoDB Local also raises this for the first read of a stream that was empty when its
        // iterator was issued. With nothing read yet, the oldest record left is where reading should start anyway.
        if (this.lastReadSequenceNumber === undefined) {
          this.logger.debug('Stream iterator issued before the first record is no longer valid; reading again from the oldest record');
        } else {
          this.logger.warn('Stream records were trimmed before they were read, continuing from the oldest record left', { lastReadSequenceNumber: this.lastReadSequenceNumber });
        }
        this.iterator = undefined;
        this.lastReadSequenceNumber = undefined;
        this.startingPosition = 'TRIM_HORIZON';
        return;
      }
      throw error;
    }
  }

  private async shardIterator(): Promise<string | undefined> {
    const after = this.lastReadSequenceNumber;
    const { ShardIterator } = await this.options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: this.shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: this.startingPosition }),
      }),
      { abortSignal: this.signal },
    );
    return ShardIterator;
  }

  private async invoke(batch: readonly StreamsApiRecord[]): Promise<InvocationOutcome> {
    const event: DynamoDBStreamEvent = { Records: batch.map((record) => toLambdaRecord(record, this.streamArn)) };
    const { timeoutSeconds } = this.source;

    let response: DynamoDBBatchResponse | void;
    try {
      response = await withTimeout(this.source.handler(event), timeoutSeconds * 1000, `Task timed out after ${timeoutSeconds} seconds`, this.signal);
    } catch (error) {
      if (this.signal.aborted) throw error;
      this.logger.warn('Stream handler failed, the batch will be retried or dead-lettered', { firstSequenceNumber: sequenceNumberOf(batch[0]), batchSize: batch.length, ...errorFields(error) });
      const errorType = error instanceof Error ? error.name : 'Error';
      return { failedIndex: 0, error: { errorType, errorMessage: error instanceof Error ? error.message : String(error) }, functionError: true };
    }
    return this.reportedFailure(response, batch);
  }

  /** Reads `batchItemFailures`: the lowest reported record fails, and an identifier outside the batch fails it all. */
  private reportedFailure(response: DynamoDBBatchResponse | void, batch: readonly StreamsApiRecord[]): InvocationOutcome {
    const failures = response?.batchItemFailures ?? [];
    if (!this.source.settings.reportBatchItemFailures || failures.length === 0) return {};

    const indexes = failures.map((failure) => batch.findIndex((record) => sequenceNumberOf(record) === failure.itemIdentifier));
    const unknown = failures.find((_failure, position) => indexes[position] === -1);
    if (unknown) {
      const errorMessage = `batchItemFailures names "${unknown.itemIdentifier}", which is not a sequence number in the batch, so the whole batch failed`;
      this.logger.warn('Stream handler reported an invalid batch item failure', { itemIdentifier: unknown.itemIdentifier });
      return { failedIndex: 0, error: { errorType: 'InvalidBatchItemFailure', errorMessage } };
    }

    const failedIndex = Math.min(...indexes);
    const errorMessage = `The function reported sequence number ${sequenceNumberOf(batch[failedIndex])} as failed`;
    return { failedIndex, error: { errorType: 'BatchItemFailure', errorMessage } };
  }

  /** Checkpoints the records before the failure, then plans the retry: a split, a counted retry, or the dead-letter store. */
  private async handleFailure(batch: readonly StreamsApiRecord[], failedIndex: number, outcome: InvocationOutcome): Promise<void> {
    const { settings } = this.source;
    const remaining = batch.length - failedIndex;
    this.checkpoint(failedIndex);

    const canSplit = settings.bisectBatchOnError && (failedIndex > 0 || remaining > 1);
    if (canSplit) {
      if (failedIndex > 0) this.plannedBatchSizes.unshift(remaining);
      else this.plannedBatchSizes.unshift(Math.ceil(remaining / 2), Math.floor(remaining / 2));
      return;
    }

    this.failedInvocations += 1;
    const retriesExhausted = settings.retryAttempts >= 0 && this.failedInvocations > settings.retryAttempts;
    if (retriesExhausted) {
      await this.deadLetter(this.pending.slice(0, remaining), 'RetryAttemptsExhausted', outcome);
      this.checkpoint(remaining);
      this.failedInvocations = 0;
      return;
    }

    this.plannedBatchSizes.unshift(remaining);
    const retryDelayMs = Math.min((this.options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS) * 2 ** (this.failedInvocations - 1), MAX_RETRY_DELAY_MS);
    await pause(retryDelayMs, this.signal);
  }

  /**
   * Dead-letters the pending records older than `maxRecordAgeSeconds`. They
   * are a prefix, because a shard is in creation order.
   *
   * NOTE: DynamoDB Local rounds ApproximateCreationDateTime down to the
   * minute, so records can expire up to 60 s early.
   */
  private async discardExpiredRecords(): Promise<void> {
    const { maxRecordAgeSeconds } = this.source.settings;
    if (maxRecordAgeSeconds < 0) return;

    const oldestAllowedMs = (this.options.clock ?? Date.now)() - maxRecordAgeSeconds * 1000;
    let expired = 0;
    while (expired < this.pending.length && (this.pending[expired]?.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Infinity) < oldestAllowedMs) {
      expired += 1;
    }
    if (expired === 0) return;

    const error = { errorType: 'RecordAgeExceeded', errorMessage: `The records are older than the maximum record age of ${maxRecordAgeSeconds} s` };
    await this.deadLetter(this.pending.slice(0, expired), 'RecordAgeExceeded', { error });
    this.checkpoint(expired);
    // The planned splits described batches that started with the discarded records.
    this.plannedBatchSizes.length = 0;
    this.failedInvocations = 0;
  }

  private async deadLetter(records: readonly StreamsApiRecord[], condition: DeadLetterCondition, outcome: InvocationOutcome): Promise<void> {
    const first = records[0];
    const last = records.at(-1);
    const arrival = (record: StreamsApiRecord | undefined): string => record?.dynamodb?.ApproximateCreationDateTime?.toISOString() ?? '';

    await this.options.deadLetters.add({
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${this.source.functionName}`,
        condition,
        approximateInvokeCount: this.failedInvocations,
      },
      ...(this.failedInvocations > 0 && {
        responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(outcome.functionError && { functionError: 'Unhandled' as const }) },
      }),
      version: '1.0',
      timestamp: new Date((this.options.clock ?? Date.now)()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: this.shardId,
        startSequenceNumber: sequenceNumberOf(first),
        endSequenceNumber: sequenceNumberOf(last),
        approximateArrivalOfFirstRecord: arrival(first),
        approximateArrivalOfLastRecord: arrival(last),
        batchSize: records.length,
        streamArn: this.streamArn,
      },
      records: records.map((record) => toLambdaRecord(record, this.streamArn)),
      error: outcome.error ?? { errorType: 'Unknown', errorMessage: 'No error was recorded' },
    });
  }

  private checkpoint(count: number): void {
    this.pending.splice(0, count);
  }
}

function sequenceNumberOf(record: StreamsApiRecord | undefined): string {
  return record?.dynamodb?.SequenceNumber ?? '';
}

/** Waits `ms`, or less when `signal` aborts. It never rejects. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
