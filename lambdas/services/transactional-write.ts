import { setTimeout as sleep } from 'node:timers/promises';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { App } from '../app.js';
import { idempotencyPut, getIdempotencyRecord } from '../adapters/idempotency-store.js';
import { cancellationCodes, isThrottlingError } from '../adapters/dynamodb.js';
import type { TransactItem } from '../adapters/audit.js';
import { IdempotencyConflictError, RateLimitedError } from '../domain/errors.js';
import { errorFields } from '../logger.js';
import { idempotencyRecordId, isExpired, requestHash, type IdempotencyScope } from '../domain/idempotency.js';

/** The change a write wants to commit and the response it will send. */
export interface PreparedWrite {
  readonly status: number;
  readonly body: unknown;
  readonly items: readonly TransactItem[];
}

export interface WriteResult {
  readonly status: number;
  readonly body: unknown;
  /** True when the response is a stored one replayed for a repeated Idempotency-Key. */
  readonly replayed: boolean;
}

export interface TransactionalWriteOptions {
  /** Real time (epoch ms) after which no new attempt starts: the Lambda deadline minus a margin. */
  readonly deadline: number;
  readonly idempotency?: { readonly scope: IdempotencyScope; readonly key: string; readonly payload: unknown };
  /**
   * Reads current state and builds the change. Called again after a lost
   * race, so it must re-read everything its conditions depend on and throw
   * a domain error when the new state forbids the write.
   */
  readonly prepare: (now: number) => Promise<PreparedWrite>;
}

/** First backoff ceiling, in ms; it doubles per lost attempt up to the maximum. */
const BASE_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 320;

/**
 * Commits a change, its idempotency record and whatever else `prepare`
 * returns in one TransactWriteItems, retrying lost races. With a key, a
 * live record for the same payload is replayed, a different payload is a
 * 409, and of concurrent requests with one key exactly one commits: the
 * others fail the record's condition and replay the winner's response.
 */
export async function transactionalWrite(app: App, options: TransactionalWriteOptions): Promise<WriteResult> {
  const { idempotency } = options;
  const recordId = idempotency && idempotencyRecordId(idempotency.scope, idempotency.key);
  const payloadHash = idempotency && requestHash(idempotency.payload);

  for (let attempt = 1; ; attempt += 1) {
    const now = app.clock();
    if (recordId !== undefined) {
      const record = await getIdempotencyRecord(app.db, app.config.tables, recordId);
      if (record && !isExpired(record, now)) {
        if (record.requestHash !== payloadHash) throw new IdempotencyConflictError();
        return { status: record.status, body: record.body, replayed: true };
      }
    }

    const prepared = await options.prepare(now);
    // Deleting a tombstone again changes nothing, so return without a write.
    if (prepared.items.length === 0 && recordId === undefined) return { status: prepared.status, body: prepared.body, replayed: false };

    const items = [...prepared.items];
    if (recordId !== undefined && payloadHash !== undefined) {
      items.push(idempotencyPut(app.config.tables, { recordId, requestHash: payloadHash, status: prepared.status, body: prepared.body, createdAt: now }));
    }

    try {
      await app.db.send(new TransactWriteCommand({ TransactItems: items }));
      return { status: prepared.status, body: prepared.body, replayed: false };
    } catch (error) {
      // The SDK has already backed off and retried a throttled request, so
      // the client gets a 429 to retry later instead of an internal error.
      if (isThrottlingError(error)) {
        app.logger.warn('Write failed because DynamoDB throttled it after the SDK retries', { attempts: attempt, ...errorFields(error) });
        throw new RateLimitedError('DynamoDB throttled the write; retry after Retry-After seconds, with the same Idempotency-Key if the request sent one', 1, { cause: error });
      }
      const codes = cancellationCodes(error);
      if (!codes) throw error;

      // A lost race on the idempotency record goes straight back to the top,
      // where the winner's record is read and replayed, without a sleep.
      const lostKeyRace = recordId !== undefined && codes[codes.length - 1] === 'ConditionalCheckFailed';
      // The deadline is real time, not the injectable clock.
      const outOfBudget = Date.now() >= options.deadline;
      if (outOfBudget) {
        app.logger.warn('Write gave up after repeated transaction cancellations', { attempts: attempt, cancellationCodes: codes });
        throw new RateLimitedError('Too many concurrent writes to this channel; retry with the same Idempotency-Key', 1);
      }
      // Full jitter spreads the losers out, so each round has few contenders
      // instead of every publisher retrying at once.
      if (!lostKeyRace) await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt));
    }
  }
}
