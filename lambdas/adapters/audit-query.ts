import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { AUDIT_BY_ACTOR_INDEX } from '../../lib/table-definitions.js';
import type { TableNames } from '../config.js';

/** An audit record as stored (insert-only). */
export interface StoredAuditRecord {
  readonly target: string;
  readonly recorded_key: string;
  readonly audit_id: string;
  readonly actor_id: string;
  readonly action: string;
  readonly recorded_at: string;
  readonly details: Record<string, unknown>;
}

export interface AuditQuery {
  readonly target?: string;
  readonly actorId?: string;
  /** Inclusive bounds on `recorded_at`, ISO 8601 UTC. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  /** LastEvaluatedKey of the previous page. */
  readonly startKey?: Record<string, unknown>;
}

/** Bound above every `recorded_key` with the same timestamp (`<iso>#<uuid>`). */
const KEY_SUFFIX_MAX = '#\uffff';

/**
 * Reads audit records newest first, by target (the table's key) or by actor
 * (the by-actor index), within an optional time range. With both, the
 * target is the key and the actor a filter, so a page may hold fewer than
 * `limit` records while more follow.
 */
export async function queryAudit(db: DynamoDBDocumentClient, tables: TableNames, query: AuditQuery): Promise<{ records: StoredAuditRecord[]; lastKey?: Record<string, unknown> }> {
  const byTarget = query.target !== undefined;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};

  let keyCondition = '#partition = :partition';
  names['#partition'] = byTarget ? 'target' : 'actor_id';
  values[':partition'] = byTarget ? query.target : query.actorId;

  names['#sort'] = 'recorded_key';
  if (query.from !== undefined && query.to !== undefined) {
    keyCondition += ' AND #sort BETWEEN :from AND :to';
    values[':from'] = query.from;
    values[':to'] = `${query.to}${KEY_SUFFIX_MAX}`;
  } else if (query.from !== undefined) {
    keyCondition += ' AND #sort >= :from';
    values[':from'] = query.from;
  } else if (query.to !== undefined) {
    keyCondition += ' AND #sort <= :to';
    values[':to'] = `${query.to}${KEY_SUFFIX_MAX}`;
  } else {
    delete names['#sort'];
  }

  const input: QueryCommandInput = {
    TableName: tables.audit,
    ...(!byTarget && { IndexName: AUDIT_BY_ACTOR_INDEX }),
    KeyConditionExpression: keyCondition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: false,
    Limit: query.limit,
    // The by-actor index is eventually consistent; the table read is not.
    ConsistentRead: byTarget,
    ExclusiveStartKey: query.startKey,
  };
  if (byTarget && query.actorId !== undefined) {
    input.FilterExpression = '#actor = :actor';
    input.ExpressionAttributeNames = { ...names, '#actor': 'actor_id' };
    input.ExpressionAttributeValues = { ...values, ':actor': query.actorId };
  }

  const page = await db.send(new QueryCommand(input));
  return { records: (page.Items ?? []) as StoredAuditRecord[], ...(page.LastEvaluatedKey && { lastKey: page.LastEvaluatedKey }) };
}
