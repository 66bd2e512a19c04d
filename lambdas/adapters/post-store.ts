import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { POSTS_BY_PUBLISHED_AT_INDEX } from '../../lib/table-definitions.js';
import type { StoredPost } from '../domain/posts.js';
import type { TableNames } from '../config.js';
import type { TransactItem } from './audit.js';
import { getEntry, type SequenceLog } from './sequence-log.js';

/** Builds the Put for a new post; the seq must be free, which the counter condition already ensures. */
export function postPut(tables: TableNames, post: StoredPost): TransactItem {
  return {
    Put: {
      TableName: tables.posts,
      Item: post,
      ConditionExpression: 'attribute_not_exists(seq)',
    },
  };
}

/** Describes the posts table as a sequence log, for feed paging. */
export function postsLog(tables: TableNames): SequenceLog {
  return { tableName: tables.posts, partitionKey: 'channel_id', timeIndex: POSTS_BY_PUBLISHED_AT_INDEX, timeKey: 'published_key' };
}

export async function getPost(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, seq: number): Promise<StoredPost | undefined> {
  return getEntry<StoredPost>(db, postsLog(tables), channelId, seq);
}

/**
 * Builds the Update that edits a live post: bumps `version`, sets
 * `edited_at`. Fails when the id does not match the seq, the post is a
 * tombstone, or another edit changed the version read, so each of two
 * concurrent edits gets its own version.
 */
export function postEditUpdate(
  tables: TableNames,
  channelId: string,
  seq: number,
  postId: string,
  expectedVersion: number,
  bodyText: string,
  editedAt: string,
): TransactItem {
  return {
    Update: {
      TableName: tables.posts,
      Key: { channel_id: channelId, seq },
      UpdateExpression: 'SET body_text = :body, edited_at = :edited_at, version = version + :one',
      ConditionExpression: 'post_id = :post_id AND is_deleted = :false AND version = :version',
      ExpressionAttributeValues: { ':body': bodyText, ':edited_at': editedAt, ':one': 1, ':post_id': postId, ':false': false, ':version': expectedVersion },
    },
  };
}

/**
 * Builds the Update that turns a post into a tombstone at the same seq: body
 * and attachments are removed from the item, not only hidden, and `version`
 * is bumped so the delete has its own dedupe key.
 */
export function postTombstoneUpdate(tables: TableNames, channelId: string, seq: number, postId: string, deletedAt: string): TransactItem {
  return {
    Update: {
      TableName: tables.posts,
      Key: { channel_id: channelId, seq },
      UpdateExpression: 'SET body_text = :null, attachments = :none, is_deleted = :true, deleted_at = :deleted_at, version = version + :one',
      ConditionExpression: 'post_id = :post_id AND is_deleted = :false',
      ExpressionAttributeValues: {
        ':null': null,
        ':none': [],
        ':true': true,
        ':false': false,
        ':deleted_at': deletedAt,
        ':one': 1,
        ':post_id': postId,
      },
    },
  };
}

/** Builds the Put that claims an upload for one post; it fails if another post claimed it first. */
export function attachmentClaimPut(tables: TableNames, claim: { attachmentId: string; channelId: string; postId: string; seq: number; claimedAt: string }): TransactItem {
  return {
    Put: {
      TableName: tables.attachments,
      Item: { attachment_id: claim.attachmentId, channel_id: claim.channelId, post_id: claim.postId, seq: claim.seq, claimed_at: claim.claimedAt },
      ConditionExpression: 'attribute_not_exists(attachment_id)',
    },
  };
}

/** Returns the ids among `attachmentIds` that a post already claimed. */
export async function claimedAttachments(db: DynamoDBDocumentClient, tables: TableNames, attachmentIds: readonly string[]): Promise<Set<string>> {
  if (attachmentIds.length === 0) return new Set();
  const { Responses } = await db.send(
    new BatchGetCommand({
      RequestItems: { [tables.attachments]: { Keys: attachmentIds.map((attachment_id) => ({ attachment_id })), ConsistentRead: true, ProjectionExpression: 'attachment_id' } },
    }),
  );
  return new Set((Responses?.[tables.attachments] ?? []).map((item) => item.attachment_id as string));
}
