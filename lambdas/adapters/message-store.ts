import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MESSAGES_BY_CREATED_AT_INDEX } from '../../lib/table-definitions.js';
import type { TableNames } from '../config.js';
import type { StoredMessage } from '../domain/forums.js';
import type { TransactItem } from './audit.js';
import { getEntry, type SequenceLog } from './sequence-log.js';

/** Describes the messages table as a sequence log, for paging by after_seq / before_seq. */
export function messagesLog(tables: TableNames): SequenceLog {
  return { tableName: tables.messages, partitionKey: 'topic_id', timeIndex: MESSAGES_BY_CREATED_AT_INDEX, timeKey: 'created_key' };
}

export async function getMessage(db: DynamoDBDocumentClient, tables: TableNames, topicId: string, seq: number): Promise<StoredMessage | undefined> {
  return getEntry<StoredMessage>(db, messagesLog(tables), topicId, seq);
}

/** Builds the Put for a new message; the seq must be free, which the topic counter condition already ensures. */
export function messagePut(tables: TableNames, message: StoredMessage): TransactItem {
  return { Put: { TableName: tables.messages, Item: message, ConditionExpression: 'attribute_not_exists(seq)' } };
}

/**
 * Builds the Update that edits a live message: new body, `edited_at`,
 * `version` + 1. Conditioned on the version read, so of two concurrent edits
 * one retries and every edit gets its own version.
 */
export function messageEditUpdate(tables: TableNames, message: StoredMessage, bodyText: string, editedAt: string): TransactItem {
  return {
    Update: {
      TableName: tables.messages,
      Key: { topic_id: message.topic_id, seq: message.seq },
      UpdateExpression: 'SET body_text = :body, edited_at = :edited_at, version = version + :one',
      ConditionExpression: 'message_id = :message_id AND is_deleted = :false AND version = :version',
      ExpressionAttributeValues: {
        ':body': bodyText,
        ':edited_at': editedAt,
        ':one': 1,
        ':message_id': message.message_id,
        ':false': false,
        ':version': message.version,
      },
    },
  };
}

/**
 * Builds the Update that turns a message into a tombstone at the same seq:
 * the body is removed from the item, not only hidden, and `version` is
 * bumped so the delete has its own dedupe key.
 */
export function messageTombstoneUpdate(tables: TableNames, message: StoredMessage, deletedAt: string, deletedBy: string): TransactItem {
  return {
    Update: {
      TableName: tables.messages,
      Key: { topic_id: message.topic_id, seq: message.seq },
      UpdateExpression: 'SET body_text = :null, is_deleted = :true, deleted_at = :deleted_at, deleted_by = :deleted_by, version = version + :one',
      ConditionExpression: 'message_id = :message_id AND is_deleted = :false',
      ExpressionAttributeValues: {
        ':null': null,
        ':true': true,
        ':false': false,
        ':deleted_at': deletedAt,
        ':deleted_by': deletedBy,
        ':one': 1,
        ':message_id': message.message_id,
      },
    },
  };
}
