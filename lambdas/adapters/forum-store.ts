import { GetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TOPICS_BY_ACTIVITY_INDEX } from '../../lib/table-definitions.js';
import type { TableNames } from '../config.js';
import type { StoredForum, StoredTopic } from '../domain/forums.js';
import type { TransactItem } from './audit.js';

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
