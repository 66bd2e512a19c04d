import { randomUUID } from 'node:crypto';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { TableNames } from '../config.js';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface AuditEntry {
  readonly actorId: string;
  /** Stable verb, e.g. `post.published`. */
  readonly action: string;
  /** The changed entity, e.g. `channel#ch_123`. */
  readonly target: string;
  readonly at: number;
  /** Identifiers and changed field names; never post bodies. */
  readonly details?: Record<string, unknown>;
}

/**
 * Builds the Put that records an admin action inside the same transaction as
 * the change. The condition makes the write insert-only: an audit record is
 * never overwritten.
 */
export function auditPut(tables: TableNames, entry: AuditEntry): TransactItem {
  const recordedAt = new Date(entry.at).toISOString();
  const auditId = randomUUID();
  return {
    Put: {
      TableName: tables.audit,
      Item: {
        target: entry.target,
        recorded_key: `${recordedAt}#${auditId}`,
        audit_id: auditId,
        actor_id: entry.actorId,
        action: entry.action,
        recorded_at: recordedAt,
        details: entry.details ?? {},
      },
      ConditionExpression: 'attribute_not_exists(target)',
    },
  };
}

export const channelTarget = (channelId: string): string => `channel#${channelId}`;
