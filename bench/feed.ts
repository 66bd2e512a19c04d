import { performance } from 'node:perf_hooks';
import type { App } from '../lambdas/app.js';
import type { AccessPolicy } from '../lambdas/domain/access-policy.js';
import { route as listPostsRoute } from '../lambdas/handlers/list-posts.js';
import { createHttpHandler } from '../lambdas/http/handler.js';
import type { RecordedRequest, RequestRecorder } from './dynamo.js';
import { syntheticHttpEvent, syntheticLambdaContext } from './events.js';
import { summarize, type Summary } from './report.js';
import { putPeriods, seedChannel, seededPublishedAt } from './seed.js';

export interface FeedOptions {
  /** Measured pages per scenario and position. */
  readonly pagesPerPosition: number;
  /** Unmeasured rounds over every scenario and position before the measured ones. */
  readonly warmupRounds: number;
  /** Posts per page, the `limit` query parameter. */
  readonly limit: number;
  /** BatchWriteItem requests in flight while seeding. */
  readonly seedConcurrency: number;
  /** Seeding of all channels fails when it takes longer than this, in ms. */
  readonly seedTimeoutMs: number;
}

export interface PageMeasurement {
  readonly scenario: string;
  /** True when the reader's subscription periods hide part of the channel. */
  readonly hidesPosts: boolean;
  readonly position: string;
  /** Milliseconds per page through the list-posts route. */
  readonly latency: Summary;
  readonly requests: Summary;
  /** Requests per page by DynamoDB operation, from the first measured page. */
  readonly operations: string;
  /** Sum of ConsumedCapacity units per page, over the requests that report it. */
  readonly readUnits: Summary;
  /** Max requests on one page whose response carried no ConsumedCapacity. */
  readonly requestsWithoutCapacity: number;
}

export interface FeedResult extends FeedOptions {
  readonly seeding: readonly { channelId: string; posts: number; seconds: number }[];
  readonly scenarios: readonly ScenarioDescription[];
  readonly pages: readonly PageMeasurement[];
}

export interface ScenarioDescription {
  readonly name: string;
  readonly channelId: string;
  readonly channelPosts: number;
  /** Inclusive seq range hidden from the reader, if any. */
  readonly hidden?: { readonly from: number; readonly to: number };
}

interface Scenario extends ScenarioDescription {
  readonly userId: string;
  /** Seq range that the straddling page positions surround: the hidden range, or an empty range (`from` = `to` + 1) for a reader of every post. */
  readonly gap: { readonly from: number; readonly to: number };
}

interface PagePosition {
  readonly name: string;
  readonly query: (scenario: Scenario) => Record<string, string>;
}

/** Zero backfill, so the windows are exactly the subscription periods; a lapsed period keeps its archive. */
const ACCESS_POLICY: AccessPolicy = { initial_backfill_days: 0, resubscribe_backfill_days: 0, keep_archive_after_lapse: true };
const SPACING_MS = 60_000;
const HIDDEN_POSTS = 10_000;
const DAY_MS = 86_400_000;

const CHANNELS = [
  { channelId: 'bench-feed-1k', posts: 1_000 },
  { channelId: 'bench-feed-11k', posts: 1_000 + HIDDEN_POSTS },
  { channelId: 'bench-feed-100k', posts: 100_000 },
] as const;

/** Posts a page shows before it reaches the hidden range, in the positions that straddle it. */
const POSTS_BEFORE_GAP = 5;

const POSITIONS: readonly PagePosition[] = [
  { name: 'start: after_seq=0', query: () => ({ after_seq: '0' }) },
  { name: 'after_seq across the hidden range', query: (scenario) => ({ after_seq: String(scenario.gap.from - POSTS_BEFORE_GAP - 1) }) },
  { name: 'before_seq across the hidden range', query: (scenario) => ({ before_seq: String(scenario.gap.to + POSTS_BEFORE_GAP + 1) }) },
  { name: 'end: before_seq=last_seq+1', query: (scenario) => ({ before_seq: String(scenario.channelPosts + 1) }) },
];

/**
 * Seeds three channels (1,000, 11,000 and 100,000 posts), gives four readers
 * subscription periods, and reads feed pages through the list-posts route:
 * from the start, across the hidden range in both directions, and from the
 * end. Every page is checked against the seqs the reader should see.
 */
export async function benchmarkFeed(app: App, recorder: RequestRecorder, options: FeedOptions): Promise<FeedResult> {
  const now = Date.now();
  const seedDeadline = now + options.seedTimeoutMs;
  const firstPublishedAt = new Map<string, number>();
  const seeding: { channelId: string; posts: number; seconds: number }[] = [];

  for (const { channelId, posts } of CHANNELS) {
    // The newest post is a day old, so every subscription period has started.
    const first = Math.floor((now - DAY_MS - posts * SPACING_MS) / SPACING_MS) * SPACING_MS;
    const started = performance.now();
    console.log(`Seeding ${channelId} with ${posts} posts`);
    await seedChannel(app.db, app.config.tables, {
      channelId,
      posts,
      firstPublishedAt: first,
      spacingMs: SPACING_MS,
      accessPolicy: ACCESS_POLICY,
      concurrency: options.seedConcurrency,
      deadline: seedDeadline,
      onProgress: (written, total) => console.log(`  ${written}/${total} posts written`),
    });
    seeding.push({ channelId, posts, seconds: (performance.now() - started) / 1000 });
    firstPublishedAt.set(channelId, first);
  }

  const scenarios = buildScenarios();
  for (const scenario of scenarios) {
    const periods = periodsFor(scenario, firstPublishedAt.get(scenario.channelId)!);
    await putPeriods(app.db, app.config.tables, scenario.channelId, scenario.userId, periods);
  }

  const pages = await measurePages(app, recorder, scenarios, options);
  const descriptions = scenarios.map(({ name, channelId, channelPosts, hidden }) => ({ name, channelId, channelPosts, ...(hidden && { hidden }) }));
  return { ...options, seeding, scenarios: descriptions, pages };
}

function buildScenarios(): Scenario[] {
  const hidden11k = { from: 501, to: 500 + HIDDEN_POSTS };
  const hidden100k = { from: 45_001, to: 45_000 + HIDDEN_POSTS };
  return [
    { name: '1,000 posts', channelId: 'bench-feed-1k', channelPosts: 1_000, userId: 'reader-1k', gap: { from: 501, to: 500 } },
    { name: '1,000 visible + 10,000 hidden', channelId: 'bench-feed-11k', channelPosts: 11_000, userId: 'reader-11k-gap', hidden: hidden11k, gap: hidden11k },
    { name: '100,000 posts', channelId: 'bench-feed-100k', channelPosts: 100_000, userId: 'reader-100k', gap: { from: 45_001, to: 45_000 } },
    { name: '100,000 posts, 10,000 hidden', channelId: 'bench-feed-100k', channelPosts: 100_000, userId: 'reader-100k-gap', hidden: hidden100k, gap: hidden100k },
  ];
}

/**
 * Returns one open period from the first post for a reader of every post.
 * For a hidden range, period 1 ends between the last visible post and the hidden
 * range, and period 2 starts between the hidden range and the next post, so
 * the built-in provider's windows leave exactly the hidden seqs out.
 */
function periodsFor(scenario: Scenario, firstPublishedAt: number): { start: number; end?: number }[] {
  const timing = { firstPublishedAt, spacingMs: SPACING_MS };
  if (!scenario.hidden) return [{ start: firstPublishedAt }];

  const halfSpacing = SPACING_MS / 2;
  return [
    { start: firstPublishedAt, end: seededPublishedAt(timing, scenario.hidden.from - 1) + halfSpacing },
    { start: seededPublishedAt(timing, scenario.hidden.to + 1) - halfSpacing },
  ];
}

async function measurePages(app: App, recorder: RequestRecorder, scenarios: readonly Scenario[], options: FeedOptions): Promise<PageMeasurement[]> {
  const handler = createHttpHandler(app, listPostsRoute);
  const samples = new Map<string, { latency: number[]; requests: RecordedRequest[][] }>();

  const readPage = async (scenario: Scenario, position: PagePosition): Promise<{ latency: number; requests: RecordedRequest[] }> => {
    const query = { ...position.query(scenario), limit: String(options.limit) };
    const event = syntheticHttpEvent({
      method: 'GET',
      routePath: '/api/mobile/channels/{channelId}/posts',
      pathParameters: { channelId: scenario.channelId },
      sub: scenario.userId,
      query,
    });

    recorder.take();
    const started = performance.now();
    const result = await handler(event, syntheticLambdaContext('list-posts'));
    const latency = performance.now() - started;
    const requests = recorder.take();

    assertPage(scenario, query, result.statusCode, result.body, options.limit);
    return { latency, requests };
  };

  for (let round = 0; round < options.warmupRounds + options.pagesPerPosition; round += 1) {
    for (const scenario of scenarios) {
      for (const position of POSITIONS) {
        const { latency, requests } = await readPage(scenario, position);
        if (round < options.warmupRounds) continue;

        const key = `${scenario.name}\u0000${position.name}`;
        const sample = samples.get(key) ?? { latency: [], requests: [] };
        sample.latency.push(latency);
        sample.requests.push(requests);
        samples.set(key, sample);
      }
    }
  }

  return scenarios.flatMap((scenario) =>
    POSITIONS.map((position) => {
      const sample = samples.get(`${scenario.name}\u0000${position.name}`)!;
      return {
        scenario: scenario.name,
        hidesPosts: scenario.hidden !== undefined,
        position: position.name,
        latency: summarize(sample.latency),
        requests: summarize(sample.requests.map((requests) => requests.length)),
        operations: describeOperations(sample.requests[0] ?? []),
        readUnits: summarize(sample.requests.map((requests) => requests.reduce((sum, request) => sum + (request.capacityUnits ?? 0), 0))),
        requestsWithoutCapacity: Math.max(...sample.requests.map((requests) => requests.filter((request) => request.capacityUnits === undefined).length)),
      };
    }),
  );
}

/** Checks that a page contains exactly the next `limit` seqs the reader may see, in the page's direction. */
function assertPage(scenario: Scenario, query: Record<string, string>, status: number | undefined, body: string | undefined, limit: number): void {
  const context = `${scenario.name}, ${new URLSearchParams(query).toString()}`;
  if (status !== 200) throw new Error(`Feed page (${context}) failed with status ${String(status)}: ${String(body)}`);

  const page = JSON.parse(body ?? '{}') as { posts: { seq: number }[] };
  const actual = page.posts.map((post) => post.seq);
  const expected = expectedSeqs(scenario, query, limit);
  if (actual.join(',') !== expected.join(',')) {
    throw new Error(`Feed page (${context}) returned seqs [${actual.join(', ')}], expected [${expected.join(', ')}]`);
  }
}

function expectedSeqs(scenario: Scenario, query: Record<string, string>, limit: number): number[] {
  const isVisible = (seq: number): boolean => !scenario.hidden || seq < scenario.hidden.from || seq > scenario.hidden.to;
  const ascending = query.after_seq !== undefined;
  const step = ascending ? 1 : -1;
  const seqs: number[] = [];
  let seq = ascending ? Number(query.after_seq) + 1 : Math.min(Number(query.before_seq) - 1, scenario.channelPosts);
  while (seqs.length < limit && seq >= 1 && seq <= scenario.channelPosts) {
    if (isVisible(seq)) seqs.push(seq);
    seq += step;
  }
  return seqs;
}

/** Summarizes one page's requests, for example `GetItem ×2, Query ×3`. */
function describeOperations(requests: readonly RecordedRequest[]): string {
  const counts = new Map<string, number>();
  for (const request of requests) {
    const operation = request.command.replace(/Command$/, '');
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
  }
  return [...counts].map(([operation, count]) => `${operation} ×${count}`).join(', ');
}
