import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONNECTIONS_BY_CONNECTION_INDEX } from '../../lib/table-definitions.js';
import type { AccessDecision } from '../domain/read-windows.js';
import { channelSubscriptionKey } from '../domain/subscriptions.js';
import type { TableNames } from '../config.js';
import { forEachConcurrently } from '../concurrency.js';
import { cancellationCodes, isConditionalCheckFailed } from './dynamodb.js';

/** Updates in flight when expiring a channel's decisions, so a large channel does not burst the table. */
const EXPIRE_CONCURRENCY = 25;

/**
 * The connections table contains two kinds of item: one per WebSocket
 * connection (`pk = connection#<id>`) and one per subscription
 * (`pk = channel#<id>` or `topic#<id>`, `sk = <connectionId>`), so fan-out
 * is one Query by channel or topic. Every item carries `connection_id`, and
 * the by-connection index finds all of a connection's items when it goes
 * away.
 */
const CONNECTION_SORT_KEY = 'connection';

export interface StoredConnection {
  readonly connection_id: string;
  readonly user_id: string;
  readonly is_admin: boolean;
  readonly is_moderator: boolean;
  readonly connected_at: string;
  /** DynamoDB TTL, epoch seconds. */
  readonly expires_at_epoch: number;
}

export interface StoredSubscription {
  /** `channel#<channelId>` or `topic#<topicId>` (see `subscriptionKeyOf`). */
  readonly pk: string;
  /** The connection id. */
  readonly sk: string;
  readonly connection_id: string;
  readonly user_id: string;
  /** Admins read every channel and forum; kept so a re-check needs no connection read. */
  readonly is_admin: boolean;
  /**
   * Moderators read every forum; kept for the same reason. Subscriptions
   * stored before forums existed lack it, and absent means false.
   */
  readonly is_moderator?: boolean;
  /** The decision the subscription was granted (or last re-checked) with. */
  readonly decision: AccessDecision;
  readonly subscribed_at: string;
  readonly expires_at_epoch: number;
}

const connectionKey = (connectionId: string) => ({ pk: `connection#${connectionId}`, sk: CONNECTION_SORT_KEY });

export async function putConnection(db: DynamoDBDocumentClient, tables: TableNames, connection: StoredConnection): Promise<void> {
  await db.send(new PutCommand({ TableName: tables.connections, Item: { ...connectionKey(connection.connection_id), ...connection } }));
}

export async function getConnection(db: DynamoDBDocumentClient, tables: TableNames, connectionId: string): Promise<StoredConnection | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tables.connections, Key: connectionKey(connectionId), ConsistentRead: true }));
  return Item as StoredConnection | undefined;
}

/** Deletes a connection and all its subscriptions. Idempotent: a second call finds nothing. */
export async function deleteConnection(db: DynamoDBDocumentClient, tables: TableNames, connectionId: string): Promise<void> {
  const keys: { pk: string; sk: string }[] = [connectionKey(connectionId)];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tables.connections,
        IndexName: CONNECTIONS_BY_CONNECTION_INDEX,
        KeyConditionExpression: 'connection_id = :id',
        ExpressionAttributeValues: { ':id': connectionId },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) keys.push({ pk: item.pk as string, sk: item.sk as string });
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  const unique = [...new Map(keys.map((key) => [`${key.pk}\u0000${key.sk}`, key])).values()];
  for (let start = 0; start < unique.length; start += 25) {
    const batch = unique.slice(start, start + 25);
    let pending: Record<string, unknown>[] | undefined = batch.map((Key) => ({ DeleteRequest: { Key } }));
    // BatchWriteItem may leave items unprocessed under throttling; resend them.
    for (let attempt = 0; pending && pending.length > 0 && attempt < 5; attempt += 1) {
      const result = await db.send(new BatchWriteCommand({ RequestItems: { [tables.connections]: pending as never } }));
      pending = result.UnprocessedItems?.[tables.connections] as Record<string, unknown>[] | undefined;
    }
    if (pending && pending.length > 0) {
      throw new Error(`Deleting connection ${connectionId} left ${pending.length} items unprocessed after 5 attempts; they expire with the connection TTL`);
    }
  }
}

/**
 * Partition of the markers that tie topic subscriptions to the channel their
 * forum is linked to (`sk = <connectionId>#<subscription key>`), so a change
 * to that channel's access can find them. A marker carries `connection_id`,
 * so it goes when its connection does.
 */
export const linkedSubscriptionsKey = (channelId: string): string => `linked#${channelId}`;

/**
 * Stores a subscription if its connection still exists, in one transaction,
 * so a socket that closed during `subscribe` leaves no orphan behind. With
 * `linkedChannelId` (a topic in a linked forum) it also stores the marker
 * that lets that channel's access changes expire the subscription's
 * decision. Returns false when the connection is gone.
 */
export async function putSubscription(db: DynamoDBDocumentClient, tables: TableNames, subscription: StoredSubscription, linkedChannelId?: string): Promise<boolean> {
  const marker = linkedChannelId === undefined ? [] : [{ Put: { TableName: tables.connections, Item: linkedMarker(subscription, linkedChannelId) } }];
  try {
    await db.send(
      new TransactWriteCommand({
        TransactItems: [
          { ConditionCheck: { TableName: tables.connections, Key: connectionKey(subscription.connection_id), ConditionExpression: 'attribute_exists(pk)' } },
          { Put: { TableName: tables.connections, Item: subscription } },
          ...marker,
        ],
      }),
    );
    return true;
  } catch (error) {
    if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

function linkedMarker(subscription: StoredSubscription, channelId: string) {
  return {
    pk: linkedSubscriptionsKey(channelId),
    sk: `${subscription.connection_id}#${subscription.pk}`,
    connection_id: subscription.connection_id,
    user_id: subscription.user_id,
    subscription_key: subscription.pk,
    expires_at_epoch: subscription.expires_at_epoch,
  };
}

export async function deleteSubscription(db: DynamoDBDocumentClient, tables: TableNames, subscriptionKey: string, connectionId: string): Promise<void> {
  await db.send(new DeleteCommand({ TableName: tables.connections, Key: { pk: subscriptionKey, sk: connectionId } }));
}

/** Reads every subscription of a channel (or topic); fan-out needs all of them. */
export async function listSubscriptions(db: DynamoDBDocumentClient, tables: TableNames, subscriptionKey: string): Promise<StoredSubscription[]> {
  return queryPartition<StoredSubscription>(db, tables, subscriptionKey);
}

/** Reads every item of one partition of the connections table, following DynamoDB's pagination. */
async function queryPartition<Item>(db: DynamoDBDocumentClient, tables: TableNames, pk: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tables.connections,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Stores a re-checked decision, unless the subscription was removed meanwhile. */
export async function updateSubscriptionDecision(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  subscriptionKey: string,
  connectionId: string,
  decision: AccessDecision,
): Promise<void> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: tables.connections,
        Key: { pk: subscriptionKey, sk: connectionId },
        UpdateExpression: 'SET decision = :decision',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':decision': decision },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

/**
 * Expires the stored decisions that depend on a channel's access (only
 * `userId`'s when given): the channel's own subscriptions and those to
 * topics of forums linked to it, so their next delta re-checks access.
 * Called after an admin rewrites a user's periods or changes the channel's
 * policy or publishers. Returns how many subscriptions matched.
 */
export async function expireChannelDecisions(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, userId?: string): Promise<number> {
  const [own, linked] = await Promise.all([
    expireDecisions(db, tables, channelSubscriptionKey(channelId), userId),
    expireLinkedTopicDecisions(db, tables, channelId, userId),
  ]);
  return own + linked;
}

/** Expires the stored decisions of one channel's subscriptions. Reads the subscriptions once; returns how many were expired. */
async function expireDecisions(db: DynamoDBDocumentClient, tables: TableNames, subscriptionKey: string, userId?: string): Promise<number> {
  const subscriptions = await listSubscriptions(db, tables, subscriptionKey);
  const affected = userId === undefined ? subscriptions : subscriptions.filter((subscription) => subscription.user_id === userId);
  await forEachConcurrently(affected, EXPIRE_CONCURRENCY, (subscription) =>
    updateSubscriptionDecision(db, tables, subscriptionKey, subscription.connection_id, { ...subscription.decision, validUntil: 0 }),
  );
  return affected.length;
}

/**
 * Expires the stored decisions of the topic subscriptions in forums linked
 * to a channel (only `userId`'s when given), found through their markers.
 * A marker whose subscription was removed matches nothing. Returns how many
 * markers matched.
 */
async function expireLinkedTopicDecisions(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, userId?: string): Promise<number> {
  const markers = await queryPartition<{ connection_id: string; user_id: string; subscription_key: string }>(db, tables, linkedSubscriptionsKey(channelId));

  const affected = userId === undefined ? markers : markers.filter((marker) => marker.user_id === userId);
  await forEachConcurrently(affected, EXPIRE_CONCURRENCY, async (marker) => {
    try {
      await db.send(
        new UpdateCommand({
          TableName: tables.connections,
          Key: { pk: marker.subscription_key, sk: marker.connection_id },
          UpdateExpression: 'SET decision.validUntil = :expired',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':expired': 0 },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  });
  return affected.length;
}
