import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredChannel } from '../lambdas/adapters/channel-store.js';
import type { TableNames } from '../lambdas/config.js';
import type { AccessPolicy } from '../lambdas/domain/access-policy.js';
import { publishedKey, type StoredPost } from '../lambdas/domain/posts.js';

/** BatchWriteItem accepts at most 25 items per request. */
const BATCH_SIZE = 25;
/** Retries of a batch's unprocessed items before the seeding fails. */
const MAX_UNPROCESSED_RETRIES = 10;

export interface SeedChannelOptions {
  readonly channelId: string;
  readonly posts: number;
  /** `published_at` of seq 1, epoch ms; each later seq is `spacingMs` later. */
  readonly firstPublishedAt: number;
  readonly spacingMs: number;
  readonly accessPolicy: AccessPolicy;
  /** BatchWriteItem requests in flight at once. */
  readonly concurrency: number;
  /** Seeding fails when it has not finished by this time (epoch ms). */
  readonly deadline: number;
  readonly onProgress?: (written: number, total: number) => void;
}

/** Returns `published_at` (epoch ms) of a seeded post. */
export function seededPublishedAt(options: Pick<SeedChannelOptions, 'firstPublishedAt' | 'spacingMs'>, seq: number): number {
  return options.firstPublishedAt + (seq - 1) * options.spacingMs;
}

/**
 * Writes a channel with `posts` posts in the stored shapes of
 * lambdas/domain/posts.ts and lambdas/adapters/channel-store.ts, with
 * BatchWriteItem straight into the tables. The channel item's counter is
 * set as if every post had been published.
 */
export async function seedChannel(db: DynamoDBDocumentClient, tables: TableNames, options: SeedChannelOptions): Promise<void> {
  const batchCount = Math.ceil(options.posts / BATCH_SIZE);
  let nextBatch = 0;
  let written = 0;
  let lastReport = performance.now();

  const worker = async (): Promise<void> => {
    while (nextBatch < batchCount) {
      if (Date.now() > options.deadline) throw new Error(`Seeding channel ${options.channelId} timed out after ${written} of ${options.posts} posts`);
      const batch = nextBatch;
      nextBatch += 1;

      const firstSeq = batch * BATCH_SIZE + 1;
      const lastSeq = Math.min(firstSeq + BATCH_SIZE - 1, options.posts);
      const posts: StoredPost[] = [];
      for (let seq = firstSeq; seq <= lastSeq; seq += 1) posts.push(seededPost(options, seq));
      await writeBatch(db, tables.posts, posts);

      written += posts.length;
      if (performance.now() - lastReport > 2_000 || written === options.posts) {
        lastReport = performance.now();
        options.onProgress?.(written, options.posts);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));

  const createdAt = new Date(options.firstPublishedAt).toISOString();
  const channel: StoredChannel = {
    channel_id: options.channelId,
    title: options.channelId,
    description: 'Feed benchmark channel',
    access_policy: options.accessPolicy,
    publisher_ids: [],
    last_seq: options.posts,
    last_published_at: new Date(seededPublishedAt(options, options.posts)).toISOString(),
    created_at: createdAt,
    updated_at: createdAt,
    version: 1,
  };
  await db.send(new PutCommand({ TableName: tables.channels, Item: channel }));
}

/** Writes a user's subscription periods for the built-in provider, in the shape of lambdas/adapters/access-store.ts. */
export async function putPeriods(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  channelId: string,
  userId: string,
  periods: readonly { start: number; end?: number }[],
): Promise<void> {
  const stored = periods.map((period) => ({
    start: new Date(period.start).toISOString(),
    end: period.end === undefined ? null : new Date(period.end).toISOString(),
  }));
  await db.send(
    new PutCommand({
      TableName: tables.access,
      Item: { channel_id: channelId, user_id: userId, periods: stored, updated_at: new Date().toISOString() },
    }),
  );
}

function seededPost(options: SeedChannelOptions, seq: number): StoredPost {
  const publishedAt = new Date(seededPublishedAt(options, seq)).toISOString();
  return {
    channel_id: options.channelId,
    seq,
    post_id: `p_${seq}_${seq.toString(16).padStart(16, '0')}`,
    published_at: publishedAt,
    published_key: publishedKey(publishedAt, seq),
    author_id: 'bench-admin',
    body_text: `Post ${seq}: EURUSD long above 1.0850, stop 1.0810, target 1.0930. Size one percent of the account; move the stop to entry at 1.0890.`,
    attachments: [],
    edited_at: null,
    version: 1,
    is_deleted: false,
  };
}

async function writeBatch(db: DynamoDBDocumentClient, tableName: string, posts: readonly StoredPost[]): Promise<void> {
  let requests = posts.map((post) => ({ PutRequest: { Item: post as unknown as Record<string, unknown> } }));
  for (let attempt = 0; requests.length > 0; attempt += 1) {
    if (attempt > MAX_UNPROCESSED_RETRIES) {
      throw new Error(`BatchWriteItem left ${requests.length} items unprocessed after ${MAX_UNPROCESSED_RETRIES} retries`);
    }
    if (attempt > 0) await sleep(50 * attempt);
    const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
    requests = (UnprocessedItems?.[tableName] ?? []).flatMap((request) => (request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : []));
  }
}
