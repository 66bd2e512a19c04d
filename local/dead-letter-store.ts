import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { errorFields, type Logger } from '../lambdas/logger.js';

/** Name of the dead-letter file inside the local stack's data directory. */
export const DEAD_LETTER_FILE = 'dead-letters.jsonl';

/** Reason Lambda discarded the records, as in the on-failure record's `condition`. */
export type DeadLetterCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/**
 * A discarded stream batch, in the shape of the invocation record Lambda
 * sends to a stream event source's on-failure destination, plus the records
 * and the last error, which Lambda leaves out and a local developer wants.
 */
export interface StreamDeadLetter {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: DeadLetterCondition;
    /** Failed invocations of the discarded batch, not counting splits, or 0 when it expired before any. */
    readonly approximateInvokeCount: number;
  };
  /** The last failed invocation, absent when the records expired before any invocation failed. */
  readonly responseContext?: {
    readonly statusCode: number;
    readonly executedVersion: '$LATEST';
    /** Set when the last invocation threw or timed out, not when it returned batch item failures. */
    readonly functionError?: 'Unhandled';
  };
  readonly version: '1.0';
  /** ISO 8601 time the batch was discarded. */
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    /** ISO 8601 creation time of the first and last record. */
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
  /** The discarded records as the function received them. Local addition. */
  readonly records: readonly DynamoDBRecord[];
  /** The last failure. Local addition. */
  readonly error: { readonly errorType: string; readonly errorMessage: string };
}

export interface DeadLetterStoreOptions {
  /** JSON Lines file each dead letter is appended to. Without it, dead letters stay in memory only. */
  readonly filePath?: string;
  readonly logger: Logger;
}

/** The local stand-in for a stream event source's on-failure destination (an SQS queue or SNS topic in AWS). */
export class DeadLetterStore {
  /** Every dead letter of this run, oldest first. */
  readonly deadLetters: StreamDeadLetter[] = [];

  constructor(private readonly options: DeadLetterStoreOptions) {}

  /** Stores a dead letter in memory and, with a file, appends it as one JSON line. A failed write is logged, not thrown. */
  async add(deadLetter: StreamDeadLetter): Promise<void> {
    const { filePath, logger } = this.options;
    logger.warn('Stream records dead-lettered', {
      streamArn: deadLetter.DDBStreamBatchInfo.streamArn,
      shardId: deadLetter.DDBStreamBatchInfo.shardId,
      startSequenceNumber: deadLetter.DDBStreamBatchInfo.startSequenceNumber,
      endSequenceNumber: deadLetter.DDBStreamBatchInfo.endSequenceNumber,
      condition: deadLetter.requestContext.condition,
      ...(filePath && { filePath }),
    });
    if (filePath) {
      try {
        await mkdir(dirname(filePath), { recursive: true });
        await appendFile(filePath, `${JSON.stringify(deadLetter)}\n`);
      } catch (error) {
        logger.error('Failed to append a dead letter to the file. It is kept in memory only', { filePath, ...errorFields(error) });
      }
    }
    // Published last, so a reader that sees the entry also finds it in the file.
    this.deadLetters.push(deadLetter);
  }
}
