import { DynamoDBClient, TransactionCanceledException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Creates the document client every adapter uses; `endpoint` points it at DynamoDB Local. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Cancellation codes DynamoDB reports per transaction item. */
export type CancellationCode = 'None' | 'ConditionalCheckFailed' | 'TransactionConflict' | 'ThrottlingError' | string;

/**
 * Returns the per-item cancellation codes when `error` is a cancelled
 * transaction, or undefined for any other error (which callers rethrow).
 */
export function cancellationCodes(error: unknown): CancellationCode[] | undefined {
  if (!(error instanceof TransactionCanceledException) && (error as { name?: string })?.name !== 'TransactionCanceledException') {
    return undefined;
  }
  const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}

/**
 * Error names DynamoDB uses when it throttles a request. By the time a
 * caller sees one, the SDK client has already retried it up to its
 * `maxAttempts` setting.
 */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);

/** True when DynamoDB throttled the request and the SDK's own retries did not get it through. */
export function isThrottlingError(error: unknown): boolean {
  return THROTTLING_ERROR_NAMES.has((error as { name?: string })?.name ?? '');
}

/** True when DynamoDB rejected a conditional write (outside a transaction). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Parts of an UpdateExpression `SET` clause, with the names and values it uses. */
export interface SetClause {
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
  readonly assignments: string[];
}

/**
 * Adds `#field = :field` to `clause` for every field of `changes` that is
 * not undefined, so an Update writes only the fields a request changes.
 */
export function setChangedFields(clause: SetClause, changes: object): SetClause {
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    clause.names[`#${field}`] = field;
    clause.values[`:${field}`] = value;
    clause.assignments.push(`#${field} = :${field}`);
  }
  return clause;
}
