import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableNames } from '../config.js';
import type { RateWindow } from '../domain/forums.js';
import type { TransactItem } from './audit.js';

/**
 * The posting_state table: per user, what limits their posting. Scopes:
 * `mute#<forumId>` (a moderator's mute), `slow#<topicId>` (their last
 * message in a topic, for slow mode) and `rate` (their rate-limit window).
 */
export const muteScope = (forumId: string): string => `mute#${forumId}`;
export const slowModeScope = (topicId: string): string => `slow#${topicId}`;
export const RATE_SCOPE = 'rate';

/** Items outlive what they limit by a day, then DynamoDB TTL removes them; readers never rely on that. */
const EXPIRY_MARGIN_MS = 24 * 60 * 60 * 1000;
const expiresAtEpoch = (until: number): number => Math.ceil((until + EXPIRY_MARGIN_MS) / 1000);

export interface StoredMute {
  readonly user_id: string;
  readonly scope: string;
  readonly forum_id: string;
  /** ISO time the mute ends. Ending a mute early sets it to that moment. */
  readonly muted_until: string;
  readonly muted_by: string;
  readonly muted_at: string;
  readonly reason: string | null;
  readonly expires_at_epoch: number;
}

/** What posting one message in a topic depends on for one user. */
export interface PostingState {
  readonly mute?: StoredMute;
  /** Epoch ms of the user's last message in the topic. */
  readonly lastMessageAt?: number;
  readonly rate?: RateWindow;
}

/** Reads a user's mute in the forum, last message time in the topic and rate window in one strongly consistent BatchGetItem. */
export async function getPostingState(db: DynamoDBDocumentClient, tables: TableNames, userId: string, forumId: string, topicId?: string): Promise<PostingState> {
  const scopes = [muteScope(forumId), RATE_SCOPE, ...(topicId === undefined ? [] : [slowModeScope(topicId)])];
  let keys: Record<string, unknown>[] = scopes.map((scope) => ({ user_id: userId, scope }));
  const items: Record<string, unknown>[] = [];
  // BatchGetItem may leave keys unprocessed under throttling; ask again for those.
  for (let attempt = 0; keys.length > 0; attempt += 1) {
    if (attempt === 5) throw new Error(`Reading the posting state of ${userId} left ${keys.length} keys unprocessed after 5 attempts`);
    const result = await db.send(new BatchGetCommand({ RequestItems: { [tables.posting_state]: { Keys: keys, ConsistentRead: true } } }));
    items.push(...(result.Responses?.[tables.posting_state] ?? []));
    keys = (result.UnprocessedKeys?.[tables.posting_state]?.Keys ?? []) as Record<string, unknown>[];
  }

  const byScope = new Map(items.map((item) => [item.scope as string, item]));
  const mute = byScope.get(muteScope(forumId)) as StoredMute | undefined;
  const slow = topicId === undefined ? undefined : byScope.get(slowModeScope(topicId));
  const rate = byScope.get(RATE_SCOPE);
  return {
    ...(mute && { mute }),
    ...(slow && { lastMessageAt: slow.last_message_at_ms as number }),
    ...(rate && { rate: { windowStart: rate.window_start_ms as number, count: rate.count as number } }),
  };
}

/** True while a mute is in force at `now`. */
export function isMuted(mute: StoredMute | undefined, now: number): mute is StoredMute {
  return mute !== undefined && Date.parse(mute.muted_until) > now;
}

/** Builds the Put that mutes (or re-mutes, or ends the mute of) a user in a forum. */
export function mutePut(tables: TableNames, mute: Omit<StoredMute, 'scope' | 'expires_at_epoch'>): TransactItem {
  return {
    Put: {
      TableName: tables.posting_state,
      Item: { ...mute, scope: muteScope(mute.forum_id), expires_at_epoch: expiresAtEpoch(Date.parse(mute.muted_until)) },
    },
  };
}

/**
 * Builds the check that no mute started after the state was read, so a
 * message racing a moderator's mute does not slip through.
 */
export function notMutedCheck(tables: TableNames, userId: string, forumId: string, now: number): TransactItem {
  return {
    ConditionCheck: {
      TableName: tables.posting_state,
      Key: { user_id: userId, scope: muteScope(forumId) },
      ConditionExpression: 'attribute_not_exists(user_id) OR muted_until <= :now',
      ExpressionAttributeValues: { ':now': new Date(now).toISOString() },
    },
  };
}

/**
 * Builds the Put of a user's last message time in a topic, conditioned on
 * the time read before, so two concurrent messages cannot both pass slow mode.
 */
export function slowModeStampPut(tables: TableNames, userId: string, topicId: string, previous: number | undefined, now: number, slowModeSeconds: number): TransactItem {
  return {
    Put: {
      TableName: tables.posting_state,
      Item: { user_id: userId, scope: slowModeScope(topicId), last_message_at_ms: now, expires_at_epoch: expiresAtEpoch(now + slowModeSeconds * 1000) },
      ...(previous === undefined
        ? { ConditionExpression: 'attribute_not_exists(user_id)' }
        : { ConditionExpression: 'last_message_at_ms = :previous', ExpressionAttributeValues: { ':previous': previous } }),
    },
  };
}

/** Builds the Put of a user's rate window, conditioned on the window read before (the same optimistic rule as the counter). */
export function rateWindowPut(tables: TableNames, userId: string, previous: RateWindow | undefined, next: RateWindow, windowMs: number): TransactItem {
  return {
    Put: {
      TableName: tables.posting_state,
      Item: { user_id: userId, scope: RATE_SCOPE, window_start_ms: next.windowStart, count: next.count, expires_at_epoch: expiresAtEpoch(next.windowStart + windowMs) },
      ...(previous === undefined
        ? { ConditionExpression: 'attribute_not_exists(user_id)' }
        : {
            ConditionExpression: 'window_start_ms = :start AND #count = :count',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':start': previous.windowStart, ':count': previous.count },
          }),
    },
  };
}
