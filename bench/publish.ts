import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { App } from '../lambdas/app.js';
import type { TableNames } from '../lambdas/config.js';
import { route as publishRoute } from '../lambdas/handlers/publish-post.js';
import { createHttpHandler } from '../lambdas/http/handler.js';
import type { RequestRecorder } from './dynamo.js';
import { syntheticHttpEvent, syntheticLambdaContext } from './events.js';
import { summarize, type Summary } from './report.js';

export interface PublishOptions {
  /** Measured publishes per path. */
  readonly posts: number;
  /** Unmeasured publishes per path before the measured ones. */
  readonly warmup: number;
}

export interface PublishResult extends PublishOptions {
  /** Milliseconds per publish through the route handler. */
  readonly handler: Summary;
  /** Milliseconds per publish with the same requests sent directly. */
  readonly direct: Summary;
  /** DynamoDB requests per publish, seen by the recorder, for each path. */
  readonly handlerRequests: number;
  readonly directRequests: number;
}

const ACTOR_ID = 'bench-admin';
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** About the length of a short trading signal with a comment. */
const BODY_TEXT = `Signal: EURUSD long above 1.0850, stop 1.0810, target 1.0930. ${'Context and risk notes. '.repeat(10)}`.trim();

/**
 * Publishes posts through the publish-post route (middy chain, body and
 * header parsing, the idempotency and transaction services) and with the
 * same three requests sent directly with the document client. The path that
 * goes first alternates per round, so drift in DynamoDB Local affects both.
 */
export async function benchmarkPublish(app: App, recorder: RequestRecorder, options: PublishOptions): Promise<PublishResult> {
  const { db } = app;
  const tables = app.config.tables;
  const handlerChannel = await createBenchChannel(db, tables, 'bench-publish-handler');
  const directChannel = await createBenchChannel(db, tables, 'bench-publish-direct');
  const handler = createHttpHandler(app, publishRoute);

  const publishThroughHandler = async (index: number): Promise<void> => {
    const event = syntheticHttpEvent({
      method: 'POST',
      routePath: '/api/admin/channels/{channelId}/posts',
      pathParameters: { channelId: handlerChannel },
      sub: ACTOR_ID,
      admin: true,
      headers: { 'idempotency-key': `handler-${index}-${randomUUID()}` },
      body: { body_text: BODY_TEXT },
    });
    const result = await handler(event, syntheticLambdaContext('publish-post'));
    if (result.statusCode !== 201) throw new Error(`Publish through the handler failed with status ${result.statusCode}: ${result.body}`);
  };
  const publishDirectly = (index: number): Promise<void> => publishWithSdk(db, tables, directChannel, `direct-${index}-${randomUUID()}`);

  const handlerTimes: number[] = [];
  const directTimes: number[] = [];
  const requestCounts = { handler: 0, direct: 0 };
  const total = options.warmup + options.posts;

  for (let index = 0; index < total; index += 1) {
    const measured = index >= options.warmup;
    const runs = [
      { run: publishThroughHandler, times: handlerTimes, path: 'handler' as const },
      { run: publishDirectly, times: directTimes, path: 'direct' as const },
    ];
    if (index % 2 === 1) runs.reverse();

    for (const { run, times, path } of runs) {
      recorder.take();
      const started = performance.now();
      await run(index);
      const elapsed = performance.now() - started;
      const requests = recorder.take().length;
      if (measured) {
        times.push(elapsed);
        requestCounts[path] += requests;
      }
    }
  }

  await assertLastSeq(db, tables, handlerChannel, total);
  await assertLastSeq(db, tables, directChannel, total);
  return {
    ...options,
    handler: summarize(handlerTimes),
    direct: summarize(directTimes),
    handlerRequests: requestCounts.handler / options.posts,
    directRequests: requestCounts.direct / options.posts,
  };
}

/**
 * Publishes one post with plain SDK calls, as lambdas/services/publish.ts
 * and transactional-write.ts do. It reads the idempotency record and the
 * channel, then commits counter, post, audit record and idempotency record
 * in one TransactWriteItems with the same conditions.
 */
async function publishWithSdk(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, key: string): Promise<void> {
  const payload = { body_text: BODY_TEXT };
  const recordId = sha256Hex(JSON.stringify([ACTOR_ID, 'publish-post', channelId, key]));
  const requestHash = sha256Hex(JSON.stringify(payload));
  const now = Date.now();

  const { Item: record } = await db.send(new GetCommand({ TableName: tables.idempotency, Key: { record_id: recordId }, ConsistentRead: true }));
  if (record) throw new Error(`Idempotency record ${recordId} already exists; every benchmark key must be new`);
  const { Item: channel } = await db.send(new GetCommand({ TableName: tables.channels, Key: { channel_id: channelId }, ConsistentRead: true }));
  if (!channel) throw new Error(`Channel ${channelId} not found`);

  const previousSeq = channel.last_seq as number;
  const seq = previousSeq + 1;
  const lastPublishedAt = typeof channel.last_published_at === 'string' ? Date.parse(channel.last_published_at) : -Infinity;
  const publishedAt = new Date(Math.max(now, lastPublishedAt)).toISOString();
  const postId = `p_${seq}_${randomBytes(8).toString('hex')}`;
  const post = {
    channel_id: channelId,
    seq,
    post_id: postId,
    published_at: publishedAt,
    published_key: `${publishedAt}#${String(seq).padStart(16, '0')}`,
    author_id: ACTOR_ID,
    body_text: BODY_TEXT,
    attachments: [],
    edited_at: null,
    version: 1,
    is_deleted: false,
  };
  const { channel_id, published_key, post_id, ...viewFields } = post;
  const view = { id: post_id, channel_id, ...viewFields };
  const recordedAt = new Date(now).toISOString();
  const auditId = randomUUID();

  await db.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: tables.channels,
            Key: { channel_id: channelId },
            UpdateExpression: 'SET last_seq = :next, last_published_at = :published_at',
            ConditionExpression: 'last_seq = :previous',
            ExpressionAttributeValues: { ':next': seq, ':previous': previousSeq, ':published_at': publishedAt },
          },
        },
        { Put: { TableName: tables.posts, Item: post, ConditionExpression: 'attribute_not_exists(seq)' } },
        {
          Put: {
            TableName: tables.audit,
            Item: {
              target: `channel#${channelId}`,
              recorded_key: `${recordedAt}#${auditId}`,
              audit_id: auditId,
              actor_id: ACTOR_ID,
              action: 'post.published',
              recorded_at: recordedAt,
              details: { post_id: postId, seq },
            },
            ConditionExpression: 'attribute_not_exists(target)',
          },
        },
        {
          Put: {
            TableName: tables.idempotency,
            Item: {
              record_id: recordId,
              request_hash: requestHash,
              status: 201,
              response_body: JSON.stringify(view),
              created_at_ms: now,
              expires_at_epoch: Math.ceil((now + IDEMPOTENCY_TTL_MS) / 1000),
            },
            ConditionExpression: 'attribute_not_exists(record_id) OR created_at_ms <= :expired_before',
            ExpressionAttributeValues: { ':expired_before': now - IDEMPOTENCY_TTL_MS },
          },
        },
      ],
    }),
  );
}

async function createBenchChannel(db: DynamoDBDocumentClient, tables: TableNames, channelId: string): Promise<string> {
  const createdAt = new Date().toISOString();
  await db.send(
    new PutCommand({
      TableName: tables.channels,
      Item: {
        channel_id: channelId,
        title: channelId,
        description: 'Publish benchmark channel',
        access_policy: { initial_backfill_days: null, resubscribe_backfill_days: 7, keep_archive_after_lapse: true },
        publisher_ids: [],
        last_seq: 0,
        created_at: createdAt,
        updated_at: createdAt,
        version: 1,
      },
    }),
  );
  return channelId;
}

async function assertLastSeq(db: DynamoDBDocumentClient, tables: TableNames, channelId: string, expected: number): Promise<void> {
  const { Item } = await db.send(new GetCommand({ TableName: tables.channels, Key: { channel_id: channelId }, ConsistentRead: true }));
  if (Item?.last_seq !== expected) {
    throw new Error(`Channel ${channelId} has last_seq ${String(Item?.last_seq)} after ${expected} publishes; the benchmark lost or duplicated a post`);
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
