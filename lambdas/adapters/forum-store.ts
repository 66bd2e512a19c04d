import { GetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TOPICS_BY_ACTIVITY_INDEX } from '../../lib/table-definitions.js';
import type { TableNames } from '../config.js';
import { activityKey, type StoredForum, type StoredTopic } from '../domain/forums.js';
import type { TransactItem } from './audit.js';
import { setChangedFields } from './dynamodb.js';

export async function getForum(db: DynamoDBDocumentClient, tables: TableNames, forumId: string): Promise<StoredForum | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tables.forums, Key: { forum_id: forumId }, ConsistentRead: true }));
  return Item as StoredForum | undefined;
}

export async function getTopic(db: DynamoDBDocumentClient, tables: TableNames, topicId: string): Promise<StoredTopic | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tables.topics, Key: { topic_id: topicId }, ConsistentRead: true }));
  return Item as StoredTopic | undefined;
}

/** Builds the Put that creates a forum; fails the transaction if the id exists. */
export function forumCreatePut(tables: TableNames, forum: StoredForum): TransactItem {
  return { Put: { TableName: tables.forums, Item: forum, ConditionExpression: 'attribute_not_exists(forum_id)' } };
}

/** Builds the Put that creates a topic; fails the transaction if the id exists. */
export function topicCreatePut(tables: TableNames, topic: StoredTopic): TransactItem {
  return { Put: { TableName: tables.topics, Item: topic, ConditionExpression: 'attribute_not_exists(topic_id)' } };
}

export interface Page<Item> {
  readonly items: Item[];
  /** DynamoDB's continuation key, absent on the last page. */
  readonly nextKey?: Record<string, unknown>;
}

/** Lists forums a page at a time. The forums table holds only forums, so a Scan reads nothing else. */
export async function listForums(db: DynamoDBDocumentClient, tables: TableNames, limit: number, startKey?: Record<string, unknown>): Promise<Page<StoredForum>> {
  const { Items, LastEvaluatedKey } = await db.send(new ScanCommand({ TableName: tables.forums, Limit: limit, ExclusiveStartKey: startKey }));
  return { items: (Items ?? []) as StoredForum[], ...(LastEvaluatedKey && { nextKey: LastEvaluatedKey }) };
}

/** Lists a forum's topics, pinned first and then by latest activity, from the by-activity index. */
export async function listTopicsByActivity(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  forumId: string,
  limit: number,
  startKey?: Record<string, unknown>,
): Promise<Page<StoredTopic>> {
  const { Items, LastEvaluatedKey } = await db.send(
    new QueryCommand({
      TableName: tables.topics,
      IndexName: TOPICS_BY_ACTIVITY_INDEX,
      KeyConditionExpression: 'forum_id = :forum',
      ExpressionAttributeValues: { ':forum': forumId },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (Items ?? []) as StoredTopic[], ...(LastEvaluatedKey && { nextKey: LastEvaluatedKey }) };
}

/**
 * Builds the counter Update that allocates `seq` for a new message, as
 * `counterAdvance` does for channel posts: conditioned on the previous
 * `last_seq`, so of two writers that read the same counter exactly one
 * commits. The conditions on `locked` and `pinned` make a message racing a
 * lock fail, and keep `activity_key` in step with a concurrent pin.
 */
export function topicMessageAdvance(tables: TableNames, topic: StoredTopic, createdAt: string): TransactItem {
  return {
    Update: {
      TableName: tables.topics,
      Key: { topic_id: topic.topic_id },
      UpdateExpression:
        'SET last_seq = :next, last_created_at = :created_at, last_activity_at = :created_at, activity_key = :activity_key, message_count = message_count + :one',
      ConditionExpression: 'last_seq = :previous AND locked = :false AND pinned = :pinned',
      ExpressionAttributeValues: {
        ':next': topic.last_seq + 1,
        ':previous': topic.last_seq,
        ':created_at': createdAt,
        ':activity_key': activityKey(topic.pinned, createdAt, topic.topic_id),
        ':one': 1,
        ':false': false,
        ':pinned': topic.pinned,
      },
    },
  };
}

/** Builds the check that a topic is still unlocked, so an edit racing a lock fails. */
export function topicUnlockedCheck(tables: TableNames, topicId: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: tables.topics,
      Key: { topic_id: topicId },
      ConditionExpression: 'locked = :false',
      ExpressionAttributeValues: { ':false': false },
    },
  };
}

/** Builds the Update that takes a deleted message out of the topic's live count. */
export function topicMessageRemoved(tables: TableNames, topicId: string): TransactItem {
  return {
    Update: {
      TableName: tables.topics,
      Key: { topic_id: topicId },
      UpdateExpression: 'SET message_count = message_count - :one',
      ConditionExpression: 'attribute_exists(topic_id) AND message_count > :zero',
      ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
    },
  };
}

export interface TopicModeration {
  readonly locked?: boolean;
  readonly pinned?: boolean;
  readonly slow_mode_seconds?: number;
}

/**
 * Builds the Update for a moderation change: bumps `version` (which the
 * stream turns into `topic.updated`), conditioned on the version read, and
 * moves the topic in the by-activity order when its pin changes. A pin is
 * also conditioned on the activity read, because a reply committed
 * meanwhile would otherwise leave `activity_key` behind.
 */
export function topicModerationUpdate(tables: TableNames, topic: StoredTopic, changes: TopicModeration): TransactItem {
  const { names, values, assignments } = setChangedFields(
    { names: { '#version': 'version' }, values: { ':expected': topic.version, ':one': 1 }, assignments: ['#version = #version + :one'] },
    changes,
  );
  const conditions = ['#version = :expected'];
  if (changes.pinned !== undefined) {
    names['#activity_key'] = 'activity_key';
    names['#last_activity_at'] = 'last_activity_at';
    values[':activity_key'] = activityKey(changes.pinned, topic.last_activity_at, topic.topic_id);
    values[':last_activity_at'] = topic.last_activity_at;
    assignments.push('#activity_key = :activity_key');
    conditions.push('#last_activity_at = :last_activity_at');
  }
  return {
    Update: {
      TableName: tables.topics,
      Key: { topic_id: topic.topic_id },
      UpdateExpression: `SET ${assignments.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}
