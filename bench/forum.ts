import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { App } from '../lambdas/app.js';
import { getTopic } from '../lambdas/adapters/forum-store.js';
import { route as createForumRoute } from '../lambdas/handlers/create-forum.js';
import { route as createTopicRoute } from '../lambdas/handlers/create-topic.js';
import { route as postMessageRoute } from '../lambdas/handlers/post-message.js';
import { createHttpHandler } from '../lambdas/http/handler.js';
import type { RequestRecorder } from './dynamo.js';
import { syntheticHttpEvent, syntheticLambdaContext } from './events.js';
import { summarize, type Summary } from './report.js';

export interface ForumOptions {
  /** Measured sequential replies. */
  readonly replies: number;
  /** Unmeasured replies before the measured ones. */
  readonly warmup: number;
  /** Sizes of the bursts of concurrent replies to one topic. */
  readonly burstSizes: readonly number[];
}

export interface BurstMeasurement {
  readonly replies: number;
  /** Wall time from the first request to the last response. */
  readonly wallMs: number;
  readonly latency: Summary;
  /** TransactWriteItems calls per committed reply; above 1 means lost counter races that were retried. */
  readonly transactionsPerReply: number;
  readonly requestsPerReply: number;
}

export interface ForumResult extends ForumOptions {
  /** Milliseconds per reply through the post-message handler, one at a time. */
  readonly reply: Summary;
  readonly replyRequests: number;
  readonly bursts: BurstMeasurement[];
}

const ADMIN_ID = 'bench-admin';
/** About the length of a chat reply with a sentence of context. */
const BODY_TEXT = 'Agree on the entry, but I would wait for the close above 1.0850 before adding. Anyone watching the CPI print?';

/**
 * Replies to a topic through the post-message route: the middy chain, the
 * access check of an open forum, the posting state read and the counter
 * transaction. Replies go one at a time first, then in bursts to one topic,
 * which contend on its counter. Each reply comes from its own user, so the
 * rate limit writes its window in every transaction but rejects none.
 */
export async function benchmarkForum(app: App, recorder: RequestRecorder, options: ForumOptions): Promise<ForumResult> {
  const forumId = await createForum(app);
  const reply = createHttpHandler(app, postMessageRoute);
  let userCounter = 0;

  const replyOnce = async (topicId: string): Promise<number> => {
    userCounter += 1;
    const event = syntheticHttpEvent({
      method: 'POST',
      routePath: '/api/mobile/topics/{topicId}/messages',
      pathParameters: { topicId },
      sub: `bench-user-${userCounter}`,
      headers: { 'idempotency-key': randomUUID() },
      body: { body_text: BODY_TEXT },
    });
    const started = performance.now();
    const result = await reply(event, syntheticLambdaContext('post-message'));
    const elapsed = performance.now() - started;
    if (result.statusCode !== 201) throw new Error(`Reply failed with status ${result.statusCode}: ${result.body}`);
    return elapsed;
  };

  const sequentialTopic = await createTopic(app, forumId, 'Sequential replies');
  const times: number[] = [];
  let requests = 0;
  for (let index = 0; index < options.warmup + options.replies; index += 1) {
    recorder.take();
    const elapsed = await replyOnce(sequentialTopic);
    const recorded = recorder.take().length;
    if (index >= options.warmup) {
      times.push(elapsed);
      requests += recorded;
    }
  }
  await assertLastSeq(app, sequentialTopic, 1 + options.warmup + options.replies);

  const bursts: BurstMeasurement[] = [];
  for (const size of options.burstSizes) {
    const topicId = await createTopic(app, forumId, `Burst of ${size}`);
    recorder.take();
    const started = performance.now();
    const latencies = await Promise.all(Array.from({ length: size }, () => replyOnce(topicId)));
    const wallMs = performance.now() - started;
    const recorded = recorder.take();
    await assertLastSeq(app, topicId, 1 + size);
    bursts.push({
      replies: size,
      wallMs,
      latency: summarize(latencies),
      transactionsPerReply: recorded.filter((request) => request.command === 'TransactWriteItemsCommand').length / size,
      requestsPerReply: recorded.length / size,
    });
  }

  return { ...options, reply: summarize(times), replyRequests: requests / options.replies, bursts };
}

async function createForum(app: App): Promise<string> {
  const handler = createHttpHandler(app, createForumRoute);
  const event = syntheticHttpEvent({ method: 'POST', routePath: '/api/admin/forums', pathParameters: {}, sub: ADMIN_ID, admin: true, body: { title: 'Bench forum' } });
  const result = await handler(event, syntheticLambdaContext('create-forum'));
  if (result.statusCode !== 201) throw new Error(`Creating the bench forum failed with status ${result.statusCode}: ${result.body}`);
  return JSON.parse(result.body ?? '{}').id as string;
}

async function createTopic(app: App, forumId: string, title: string): Promise<string> {
  const handler = createHttpHandler(app, createTopicRoute);
  const event = syntheticHttpEvent({
    method: 'POST',
    routePath: '/api/mobile/forums/{forumId}/topics',
    pathParameters: { forumId },
    sub: ADMIN_ID,
    admin: true,
    body: { title, body_text: BODY_TEXT },
  });
  const result = await handler(event, syntheticLambdaContext('create-topic'));
  if (result.statusCode !== 201) throw new Error(`Creating a bench topic failed with status ${result.statusCode}: ${result.body}`);
  return JSON.parse(result.body ?? '{}').topic.id as string;
}

/** Fails the run unless the topic's counter shows every reply committed once. */
async function assertLastSeq(app: App, topicId: string, expected: number): Promise<void> {
  const topic = await getTopic(app.db, app.config.tables, topicId);
  if (topic?.last_seq !== expected || topic.message_count !== expected) {
    throw new Error(`Topic ${topicId} has last_seq ${topic?.last_seq} and message_count ${topic?.message_count}, expected ${expected}`);
  }
}
