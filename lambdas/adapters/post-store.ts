import { BatchGetCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { POSTS_BY_PUBLISHED_AT_INDEX } from '../../lib/table-definitions.js';
import { publishedKeyLowerBound, publishedKeyUpperBound, type StoredPost } from '../domain/posts.js';
import type { TableNames } from '../config.js';
import type { TransactItem } from './audit.js';

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

export async function getPost(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, seq: number): Promise<StoredPost | undefined> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tables.posts, Key: { channel_id: channelId, seq }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
  );
  return Item as StoredPost | undefined;
}

/**
 * Reads posts with `from <= seq <= to`, at most `limit`, in the given order.
 * Follows DynamoDB's 1 MB pagination until `limit` items or the range end.
 */
export async function queryPostRange(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  channelId: string,
  range: { from: number; to: number },
  limit: number,
  ascending: boolean,
): Promise<StoredPost[]> {
  const posts: StoredPost[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tables.posts,
        KeyConditionExpression: 'channel_id = :channel AND seq BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':channel': channelId, ':from': range.from, ':to': range.to },
        ScanIndexForward: ascending,
        Limit: limit - posts.length,
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
        ExclusiveStartKey: startKey,
      }),
    );
    posts.push(...((page.Items ?? []) as StoredPost[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey && posts.length < limit);
  return posts;
}

/** Lowest seq published at or after `instant`, or undefined when none is. One strongly consistent index read. */
export async function firstSeqAtOrAfter(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, instant: number): Promise<number | undefined> {
  return edgeSeq(db, tables, channelId, 'published_key >= :bound', publishedKeyLowerBound(instant), true);
}

/** Highest seq published at or before `instant`, or undefined when none is. */
export async function lastSeqAtOrBefore(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, instant: number): Promise<number | undefined> {
  return edgeSeq(db, tables, channelId, 'published_key <= :bound', publishedKeyUpperBound(instant), false);
}

async function edgeSeq(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  channelId: string,
  condition: string,
  bound: string,
  ascending: boolean,
): Promise<number | undefined> {
  const { Items } = await db.send(
    new QueryCommand({
      TableName: tables.posts,
      IndexName: POSTS_BY_PUBLISHED_AT_INDEX,
      KeyConditionExpression: `channel_id = :channel AND ${condition}`,
      ExpressionAttributeValues: { ':channel': channelId, ':bound': bound },
      ScanIndexForward: ascending,
      Limit: 1,
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  return Items?.[0]?.seq as number | undefined;
}

/**
 * Builds the Update that edits a live post: bumps `version`, sets
 * `edited_at`. Fails when the id does not match the seq or the post is a
 * tombstone.
 */
export function postEditUpdate(tables: TableNames, channelId: string, seq: number, postId: string, bodyText: string, editedAt: string): TransactItem {
  return {
    Update: {
      TableName: tables.posts,
      Key: { channel_id: channelId, seq },
      UpdateExpression: 'SET body_text = :body, edited_at = :edited_at, version = version + :one',
      ConditionExpression: 'post_id = :post_id AND is_deleted = :false',
      ExpressionAttributeValues: { ':body': bodyText, ':edited_at': editedAt, ':one': 1, ':post_id': postId, ':false': false },
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
