import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord } from '../domain/idempotency.js';
import type { TableNames } from '../config.js';
import type { TransactItem } from './audit.js';

export async function getIdempotencyRecord(db: DynamoDBDocumentClient, tables: TableNames, recordId: string): Promise<IdempotencyRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tables.idempotency, Key: { record_id: recordId }, ConsistentRead: true }));
  if (!Item) return undefined;
  return {
    recordId: Item.record_id as string,
    requestHash: Item.request_hash as string,
    status: Item.status as number,
    body: JSON.parse(Item.response_body as string),
    createdAt: Item.created_at_ms as number,
  };
}

/**
 * Builds the Put that stores a request's outcome in the same transaction as
 * the change. It succeeds only when no live record exists: a record older
 * than 24 hours counts as absent and is replaced.
 */
export function idempotencyPut(tables: TableNames, record: IdempotencyRecord): TransactItem {
  return {
    Put: {
      TableName: tables.idempotency,
      Item: {
        record_id: record.recordId,
        request_hash: record.requestHash,
        status: record.status,
        // Stored as a string so the replay is byte-for-byte what the first response sent.
        response_body: JSON.stringify(record.body),
        created_at_ms: record.createdAt,
        expires_at_epoch: Math.ceil((record.createdAt + IDEMPOTENCY_TTL_MS) / 1000),
      },
      ConditionExpression: 'attribute_not_exists(record_id) OR created_at_ms <= :expired_before',
      ExpressionAttributeValues: { ':expired_before': record.createdAt - IDEMPOTENCY_TTL_MS },
    },
  };
}
