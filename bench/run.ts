/**
 * Runs every benchmark once, or those named with `--only`, and appends a
 * dated section to docs/benchmarks.md. Bundles go first, while nothing else
 * uses the CPU. Publish and feed then run against an in-memory DynamoDB
 * Local, which is stopped before realtime starts its own local stack.
 * Everything started is stopped at the end, on errors, on SIGINT and
 * SIGTERM, and after the time limit.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createApp } from '../lambdas/app.js';
import { createLogger } from '../lambdas/logger.js';
import { ADMIN_GROUP, DEFAULT_ROLE_CLAIM, MODERATOR_GROUP } from '../local/auth-config.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local.js';
import { createTables, localTableNames, tableEnvironment } from '../local/tables.js';
import { benchmarkBundles, type BundleResult } from './bundles.js';
import { createBenchClient, RequestRecorder, type BenchClient } from './dynamo.js';
import { benchmarkFeed, type FeedResult } from './feed.js';
import { benchmarkForum, type ForumResult } from './forum.js';
import { benchmarkPublish, type PublishResult } from './publish.js';
import { RealtimeBenchmark, type RealtimeOptions, type RealtimeResult } from './realtime.js';
import { appendReport, describeMachine } from './report.js';
import { createMetrics } from '../lambdas/metrics.js';

/** The whole run is stopped after this many ms; a normal run takes a few minutes. */
const RUN_TIMEOUT_MS = 20 * 60_000;
const REPORT_PATH = resolve(import.meta.dirname, '..', 'docs', 'benchmarks.md');

const BENCHMARK_NAMES = ['bundles', 'publish', 'feed', 'forum', 'realtime'] as const;
type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

const REALTIME_OPTIONS: RealtimeOptions = {
  socketLevels: [1, 100, 1000],
  publishesPerLevel: 30,
  warmupPublishes: 3,
  pauseMs: { min: 100, max: 250 },
  burstPosts: 30,
  baselineRuns: 3,
  // The local stream poller's default, so the latencies match what `npm start` gives.
  pollIntervalMs: 100,
  setupConcurrency: 50,
  deltaTimeoutMs: 15_000,
  burstTimeoutMs: 60_000,
  // A realtime run at these settings took 95 to 125 s on a 2-core machine, so this only catches a stuck run.
  timeLimitMs: 10 * 60_000,
};

// Node 20 is supported for development; the SDK's notice about its end of support would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let dynamo: DynamoDbLocal | undefined;
let client: BenchClient | undefined;
let realtimeBenchmark: RealtimeBenchmark | undefined;

/**
 * Reads `--only NAME[,NAME...]` (repeatable) from the command line. Without
 * it every benchmark runs. Throws on an unknown option or name.
 */
function parseSelection(args: readonly string[]): ReadonlySet<BenchmarkName> {
  const { values } = parseArgs({ args: [...args], options: { only: { type: 'string', multiple: true } }, strict: true, allowPositionals: false });
  if (!values.only) return new Set(BENCHMARK_NAMES);

  const names = values.only.flatMap((value) => value.split(',')).map((name) => name.trim());
  const unknown = names.filter((name) => !(BENCHMARK_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`Invalid --only value "${values.only.join(',')}": expected a comma-separated list of ${BENCHMARK_NAMES.join(', ')}`);
  }
  return new Set(names as BenchmarkName[]);
}

async function main(selection: ReadonlySet<BenchmarkName>, command: string): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  const machine = describeMachine();
  let bundles: BundleResult | undefined;
  let publish: PublishResult | undefined;
  let feed: FeedResult | undefined;
  let forum: ForumResult | undefined;
  let realtime: RealtimeResult | undefined;

  if (selection.has('bundles')) {
    console.log('Bundling handlers with esbuild');
    bundles = await benchmarkBundles({ importRuns: 5, importTimeoutMs: 30_000 });
  }

  if (selection.has('publish') || selection.has('feed') || selection.has('forum')) {
    ({ publish, feed, forum } = await benchmarkDynamoPaths(selection));
    // The realtime stack starts its own DynamoDB Local, so this one must not hold memory and CPU meanwhile.
    await stopDynamo();
  }

  if (selection.has('realtime')) {
    realtimeBenchmark = new RealtimeBenchmark(REALTIME_OPTIONS);
    realtime = await realtimeBenchmark.run();
  }

  const durationSeconds = (performance.now() - started) / 1000;
  const endLoadAverage = loadavg()[0] ?? 0;
  await appendReport(REPORT_PATH, { startedAt, durationSeconds, command, machine, endLoadAverage, publish, feed, forum, bundles, realtime });
  console.log(`Appended the results to ${REPORT_PATH} (run took ${durationSeconds.toFixed(0)} s)`);
}

/** Runs publish, feed and forum, as selected, against one in-memory DynamoDB Local. */
async function benchmarkDynamoPaths(selection: ReadonlySet<BenchmarkName>): Promise<{ publish?: PublishResult; feed?: FeedResult; forum?: ForumResult }> {
  console.log('Starting DynamoDB Local in memory');
  dynamo = await startDynamoDbLocal();
  const tables = localTableNames('bench');
  const tableClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await createTables(tableClient, tables);
  tableClient.destroy();

  client = createBenchClient(dynamo.endpoint);
  const recorder = new RequestRecorder();
  recorder.attach(client.db);
  const environment = { ...tableEnvironment(tables), ROLE_CLAIM: DEFAULT_ROLE_CLAIM, ADMIN_GROUP, MODERATOR_GROUP };
  const app = await createApp(environment, { db: client.db, clock: Date.now, logger: createLogger('silent'), metrics: createMetrics(false) });

  let publish: PublishResult | undefined;
  if (selection.has('publish')) {
    console.log('Measuring publish overhead');
    publish = await benchmarkPublish(app, recorder, { posts: 300, warmup: 30 });
  }

  let feed: FeedResult | undefined;
  if (selection.has('feed')) {
    console.log('Seeding channels and measuring feed pages');
    feed = await benchmarkFeed(app, recorder, { pagesPerPosition: 50, warmupRounds: 5, limit: 20, seedConcurrency: 8, seedTimeoutMs: 5 * 60_000 });
  }

  let forum: ForumResult | undefined;
  if (selection.has('forum')) {
    console.log('Measuring forum replies');
    forum = await benchmarkForum(app, recorder, { replies: 300, warmup: 30, burstSizes: [10, 30, 100] });
  }
  return { publish, feed, forum };
}

async function stopDynamo(): Promise<void> {
  client?.destroy();
  client = undefined;
  await dynamo?.stop();
  dynamo = undefined;
}

async function shutdown(): Promise<void> {
  try {
    await realtimeBenchmark?.stop();
  } finally {
    await stopDynamo();
  }
}

function exitAfterShutdown(code: number): void {
  void shutdown().finally(() => process.exit(code));
}

const watchdog = setTimeout(() => {
  console.error(`The benchmark run timed out after ${RUN_TIMEOUT_MS / 60_000} minutes; stopping DynamoDB Local and the realtime stack`);
  exitAfterShutdown(1);
}, RUN_TIMEOUT_MS);
process.once('SIGINT', () => exitAfterShutdown(130));
process.once('SIGTERM', () => exitAfterShutdown(143));

try {
  const args = process.argv.slice(2);
  const selection = parseSelection(args);
  await main(selection, args.length > 0 ? `npm run bench -- ${args.join(' ')}` : 'npm run bench');
} catch (error) {
  console.error('The benchmark run failed:', error);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await shutdown();
}
