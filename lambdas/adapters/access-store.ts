import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SubscriptionPeriod } from '../domain/access-policy.js';
import type { TableNames } from '../config.js';
import type { TransactItem } from './audit.js';

interface StoredPeriod {
  start: string;
  end: string | null;
}

/** Reads one user's subscription periods for a channel; none when the user has no record. */
export async function getPeriods(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, userId: string): Promise<SubscriptionPeriod[]> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tables.access, Key: { channel_id: channelId, user_id: userId }, ConsistentRead: true }),
  );
  const periods = (Item?.periods ?? []) as StoredPeriod[];
  return periods.map((period) => ({
    start: Date.parse(period.start),
    ...(period.end !== null && { end: Date.parse(period.end) }),
  }));
}

/** Builds the Put that replaces a user's periods (written in one transaction with its audit record). */
export function periodsPut(tables: TableNames, channelId: string, userId: string, periods: readonly StoredPeriod[], updatedAt: number): TransactItem {
  return {
    Put: {
      TableName: tables.access,
      Item: { channel_id: channelId, user_id: userId, periods, updated_at: new Date(updatedAt).toISOString() },
    },
  };
}

