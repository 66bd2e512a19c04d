/**
 * Runs every benchmark once and appends a dated section to
 * docs/benchmarks.md. Bundles go first, while nothing else uses the CPU.
 * Publish and feed then run against an in-memory DynamoDB Local, which is
 * stopped at the end, on errors, on SIGINT and SIGTERM, and after the time
 * limit.
 */
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createApp } from '../lambdas/app.js';
import { createLogger } from '../lambdas/logger.js';
import { ADMIN_GROUP, DEFAULT_ROLE_CLAIM, MODERATOR_GROUP } from '../local/auth-config.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local.js';
import { createTables, localTableNames, tableEnvironment } from '../local/tables.js';
import { benchmarkBundles } from './bundles.js';
import { createBenchClient, RequestRecorder, type BenchClient } from './dynamo.js';
import { benchmarkFeed } from './feed.js';
import { benchmarkPublish } from './publish.js';
import { appendReport, describeMachine } from './report.js';

/** The whole run is stopped after this many ms; a normal run takes a few minutes. */
const RUN_TIMEOUT_MS = 20 * 60_000;
const REPORT_PATH = resolve(import.meta.dirname, '..', 'docs', 'benchmarks.md');

// Node 20 is supported for development; the SDK's notice about its end of support would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let dynamo: DynamoDbLocal | undefined;
let client: BenchClient | undefined;

async function main(): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  const machine = describeMachine();

  console.log('Bundling handlers with esbuild');
  const bundles = await benchmarkBundles({ importRuns: 5, importTimeoutMs: 30_000 });

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
  const app = await createApp(environment, { db: client.db, clock: Date.now, logger: createLogger('silent') });

  console.log('Measuring publish overhead');
  const publish = await benchmarkPublish(app, recorder, { posts: 300, warmup: 30 });

  console.log('Seeding channels and measuring feed pages');
  const feed = await benchmarkFeed(app, recorder, { pagesPerPosition: 50, warmupRounds: 5, limit: 20, seedConcurrency: 8, seedTimeoutMs: 5 * 60_000 });

  const durationSeconds = (performance.now() - started) / 1000;
  await appendReport(REPORT_PATH, { startedAt, durationSeconds, command: 'npm run bench', machine, publish, feed, bundles });
  console.log(`Appended the results to ${REPORT_PATH} (run took ${durationSeconds.toFixed(0)} s)`);
}

async function shutdown(): Promise<void> {
  client?.destroy();
  client = undefined;
  await dynamo?.stop();
  dynamo = undefined;
}

function exitAfterShutdown(code: number): void {
  void shutdown().finally(() => process.exit(code));
}

const watchdog = setTimeout(() => {
  console.error(`The benchmark run timed out after ${RUN_TIMEOUT_MS / 60_000} minutes; stopping DynamoDB Local`);
  exitAfterShutdown(1);
}, RUN_TIMEOUT_MS);
process.once('SIGINT', () => exitAfterShutdown(130));
process.once('SIGTERM', () => exitAfterShutdown(143));

try {
  await main();
} catch (error) {
  console.error('The benchmark run failed:', error);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await shutdown();
}
