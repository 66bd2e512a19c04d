import { GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccessPolicy } from '../domain/access-policy.js';
import type { TableNames } from '../config.js';
import type { TransactItem } from './audit.js';
import { setChangedFields } from './dynamodb.js';

/** A channel as stored; the item also carries the channel's sequence counter. */
export interface StoredChannel {
  readonly channel_id: string;
  readonly title: string;
  readonly description: string;
  readonly access_policy: AccessPolicy;
  /** Users who may publish, import, edit and delete in this channel only. */
  readonly publisher_ids: readonly string[];
  /** The counter: highest seq allocated, 0 before the first post. */
  readonly last_seq: number;
  /** `published_at` of the post at `last_seq`; absent before the first post. */
  readonly last_published_at?: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

export async function getChannel(db: DynamoDBDocumentClient, tables: TableNames, channelId: string): Promise<StoredChannel | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tables.channels, Key: { channel_id: channelId }, ConsistentRead: true }));
  return Item as StoredChannel | undefined;
}

export interface ChannelPage {
  readonly channels: StoredChannel[];
  /** Opaque continuation key, absent on the last page. */
  readonly nextKey?: string;
}

/** Lists channels a page at a time. The channels table holds only channels, so a Scan reads nothing else. */
export async function listChannels(db: DynamoDBDocumentClient, tables: TableNames, limit: number, startKey?: string): Promise<ChannelPage> {
  const { Items, LastEvaluatedKey } = await db.send(
    new ScanCommand({
      TableName: tables.channels,
      Limit: limit,
      ...(startKey !== undefined && { ExclusiveStartKey: { channel_id: startKey } }),
    }),
  );
  const lastKey = LastEvaluatedKey?.channel_id as string | undefined;
  return { channels: (Items ?? []) as StoredChannel[], ...(lastKey !== undefined && { nextKey: lastKey }) };
}

/** Builds the Put that creates a channel; fails the transaction if the id exists. */
export function channelCreatePut(tables: TableNames, channel: StoredChannel): TransactItem {
  return {
    Put: {
      TableName: tables.channels,
      Item: channel,
      ConditionExpression: 'attribute_not_exists(channel_id)',
    },
  };
}

export interface ChannelChanges {
  readonly title?: string;
  readonly description?: string;
  readonly access_policy?: AccessPolicy;
  readonly publisher_ids?: readonly string[];
}

/**
 * Builds the Update for a channel's settings, conditioned on the version the
 * caller read, so concurrent updates never overwrite each other silently.
 * The counter fields are never touched here.
 */
export function channelUpdate(tables: TableNames, channelId: string, changes: ChannelChanges, expectedVersion: number, updatedAt: string): TransactItem {
  const { names, values, assignments } = setChangedFields(
    {
      names: { '#version': 'version', '#updated_at': 'updated_at' },
      values: { ':expected': expectedVersion, ':one': 1, ':updated_at': updatedAt },
      assignments: ['#version = #version + :one', '#updated_at = :updated_at'],
    },
    changes,
  );
  return {
    Update: {
      TableName: tables.channels,
      Key: { channel_id: channelId },
      UpdateExpression: `SET ${assignments.join(', ')}`,
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * Builds the counter Update that allocates `seq` for a new post. The
 * condition on the previous value is what makes seq contiguous: of two
 * publishers that read the same counter, exactly one transaction commits.
 */
export function counterAdvance(tables: TableNames, channelId: string, previousSeq: number, publishedAt: string): TransactItem {
  return {
    Update: {
      TableName: tables.channels,
      Key: { channel_id: channelId },
      UpdateExpression: 'SET last_seq = :next, last_published_at = :published_at',
      ConditionExpression: 'last_seq = :previous',
      ExpressionAttributeValues: { ':next': previousSeq + 1, ':previous': previousSeq, ':published_at': publishedAt },
    },
  };
}

