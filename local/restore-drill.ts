/**
 * The restore drill: seeds a local stack, exports every table, deletes and
 * recreates the tables, restores the export and checks that the layer
 * carries on as if nothing happened. It rehearses on DynamoDB Local the
 * steps of the restore runbook in docs/operations.md, with a JSON export
 * standing in for point-in-time recovery.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLES, type TableId } from '../lib/table-definitions.js';
import { ADMIN_GROUP } from './auth-config.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal } from './dynamodb-local.js';
import { DRILL_ADMIN_ID, DrillApi, seedDrillData, type RecordedRequest, type SeedResult } from './restore-drill-seed.js';
import { checkMessageSequences, checkSequences, compareSnapshots } from './restore-verify.js';
import { signToken } from './signing-key.js';
import { startLocalStack, type LocalStack } from './stack.js';
import { exportTables, readExport, restartStreams, restoreTables, snapshotTables, wipeTables, type RestoreResult, type TableSnapshot } from './table-backup.js';
import { localTableNames } from './tables.js';

export interface RestoreDrillOptions {
  /** Reuse a running DynamoDB Local, as tests do. @default a new in-memory DynamoDB Local, stopped at the end */
  readonly dynamoEndpoint?: string;
  /** Channels to seed, 1 to MAX_DRILL_CHANNELS. @default 3 */
  readonly channels?: number;
  /** Posts per channel, 4 to MAX_DRILL_POSTS_PER_CHANNEL; the first 3 are imported without an Idempotency-Key. @default 30 */
  readonly postsPerChannel?: number;
  /** Directory for the export files, kept afterwards. @default a temporary directory, removed at the end */
  readonly exportDir?: string;
  /** Runs after the export is written and the tables are wiped, before the export is read back. Tests corrupt the files here. */
  readonly beforeRestore?: (exportDir: string) => Promise<void>;
  /** The drill stops, cleans up and rejects after this many ms. @default 120000 */
  readonly timeLimitMs?: number;
  /** Receives one line per step. @default no output */
  readonly log?: (line: string) => void;
}

export interface ChannelSummary {
  readonly channelId: string;
  readonly lastSeq: number;
  readonly tombstones: number;
}

export interface RestoreDrillReport {
  /** True when `failures` is empty. */
  readonly passed: boolean;
  /** One line per mismatch the verification found. */
  readonly failures: readonly string[];
  /** Items exported per table. */
  readonly exported: Readonly<Record<TableId, number>>;
  readonly restore: RestoreResult;
  /** The channels as seeded, before the wipe. */
  readonly channels: readonly ChannelSummary[];
  /** The seq the publish after the restore got, and the one it should get. */
  readonly nextPublish: { readonly channelId: string; readonly expectedSeq: number; readonly seq: number | undefined };
  readonly durationsMs: Readonly<Record<DrillPhase, number>>;
  /** Where the export files are, when `exportDir` was given; otherwise they are removed. */
  readonly exportDir?: string;
}

export const MAX_DRILL_CHANNELS = 10;
export const MAX_DRILL_POSTS_PER_CHANNEL = 100;
/** The import route seeds 3 posts per channel, and one more is needed for a keyed publish to replay. */
const MIN_DRILL_POSTS_PER_CHANNEL = 4;
const DEFAULT_CHANNELS = 3;
const DEFAULT_POSTS_PER_CHANNEL = 30;
/** A default `npm run drill` took 14 s on a 2-core machine, so this only stops a stuck run. */
const DEFAULT_TIME_LIMIT_MS = 120_000;
/** How long the stream function may take to turn the new publish into an integration event. */
const STREAM_WAIT_MS = 15_000;
const STREAM_CHECK_INTERVAL_MS = 50;

const DRILL_PHASES = ['seed', 'export', 'wipe', 'restore', 'verify'] as const;
export type DrillPhase = (typeof DRILL_PHASES)[number];

/** Everything the drill started, stopped in reverse order at the end. */
type Cleanup = () => Promise<void> | void;

/**
 * Runs the restore drill and returns its report. Mismatches found by the
 * verification go into `failures`. Setup errors, such as DynamoDB Local not
 * starting or a seeding request failing, and the time limit reject.
 */
export async function runRestoreDrill(options: RestoreDrillOptions = {}): Promise<RestoreDrillReport> {
  const channels = boundedInteger('channels', options.channels ?? DEFAULT_CHANNELS, 1, MAX_DRILL_CHANNELS);
  const postsPerChannel = boundedInteger('postsPerChannel', options.postsPerChannel ?? DEFAULT_POSTS_PER_CHANNEL, MIN_DRILL_POSTS_PER_CHANNEL, MAX_DRILL_POSTS_PER_CHANNEL);
  const timeLimitMs = options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  const cleanups: Cleanup[] = [];
  const progress = { phase: 'seed' as DrillPhase };

  const drill = runPhases({ ...options, channels, postsPerChannel }, cleanups, progress);
  // After a timeout the phases still run until cleanup pulls DynamoDB away; their late error is expected and dropped.
  drill.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Restore drill timed out after ${timeLimitMs} ms in the ${progress.phase} phase; raise timeLimitMs or seed fewer posts.`)), timeLimitMs);
  });

  try {
    return await Promise.race([drill, timeout]);
  } finally {
    clearTimeout(timer);
    await runCleanups(cleanups);
  }
}

interface PhaseOptions extends RestoreDrillOptions {
  readonly channels: number;
  readonly postsPerChannel: number;
}

async function runPhases(options: PhaseOptions, cleanups: Cleanup[], progress: { phase: DrillPhase }): Promise<RestoreDrillReport> {
  const log = options.log ?? (() => undefined);
  const durationsMs = Object.fromEntries(DRILL_PHASES.map((phase) => [phase, 0])) as Record<DrillPhase, number>;
  const timed = async <T>(phase: DrillPhase, step: () => Promise<T>): Promise<T> => {
    progress.phase = phase;
    const started = performance.now();
    try {
      return await step();
    } finally {
      durationsMs[phase] += Math.round(performance.now() - started);
    }
  };

  let dynamoEndpoint = options.dynamoEndpoint;
  if (dynamoEndpoint === undefined) {
    const dynamo = await startDynamoDbLocal();
    cleanups.push(() => dynamo.stop());
    dynamoEndpoint = dynamo.endpoint;
  }
  // The signing key lives in the data dir; both stacks share it, although the idempotency scope needs only the same user id.
  const dataDir = await mkdtemp(join(tmpdir(), 'comm-drill-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const exportDir = options.exportDir ?? join(dataDir, 'export');
  const tablePrefix = `drill${randomBytes(4).toString('hex')}`;
  const tables = localTableNames(tablePrefix);
  const client = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  cleanups.push(() => client.destroy());
  const startStack = async (): Promise<LocalStack> => {
    const stack = await startLocalStack({ port: 0, dataDir, inMemory: true, dynamoEndpoint, tablePrefix, logLevel: 'silent' });
    cleanups.push(() => stack.stop());
    return stack;
  };

  const seeded = await timed('seed', async () => {
    const stack = await startStack();
    const result = await seedDrillData(apiFor(stack), options);
    // Stopped before the wipe, as the functions would be paused during a real restore.
    await stack.stop();
    return result;
  });
  log(`seeded ${seeded.channels.length} channels with ${options.postsPerChannel} posts each`);

  const exported = await timed('export', () => exportTables(client, tables, exportDir));
  log(`exported ${totalItems(exported)} items to ${exportDir}`);

  await timed('wipe', () => wipeTables(client, tables));
  log(`deleted and recreated ${TABLES.length} tables`);

  const restore = await timed('restore', async () => {
    await options.beforeRestore?.(exportDir);
    const result = await restoreTables(client, tables, await readExport(exportDir));
    await restartStreams(client, tables);
    return result;
  });
  log(`restored ${restore.written} items with ${restore.retries} BatchWriteItem retries`);

  const verification = await timed('verify', async () => verify(client, tables, exported, seeded, await startStack()));
  log(`verified: ${verification.failures.length === 0 ? 'no mismatch' : `${verification.failures.length} mismatches`}`);

  return {
    passed: verification.failures.length === 0,
    failures: verification.failures,
    exported: Object.fromEntries(TABLES.map((table) => [table.id, exported[table.id].length])) as Record<TableId, number>,
    restore,
    channels: seeded.channels.map((channel) => ({ channelId: channel.channelId, lastSeq: channel.lastSeq, tombstones: channel.deletedSeqs.length })),
    nextPublish: verification.nextPublish,
    durationsMs,
    ...(options.exportDir !== undefined && { exportDir: options.exportDir }),
  };
}

/**
 * Checks the restored tables against the export, then runs the layer on
 * them: a replayed request, a read of a tombstone, a new publish, and what
 * the posts stream delivers.
 */
async function verify(client: DynamoDBClient, tables: ReturnType<typeof localTableNames>, exported: TableSnapshot, seeded: SeedResult, stack: LocalStack) {
  const api = apiFor(stack);
  const restored = await snapshotTables(client, tables);
  const failures = [
    ...compareSnapshots(exported, restored, 'after the restore'),
    ...checkSequences(restored.channels, restored.posts),
    ...checkMessageSequences(restored.topics, restored.messages),
  ];

  failures.push(...(await checkReplay(api, seeded.replayCandidate)));
  failures.push(...compareSnapshots(restored, await snapshotTables(client, tables), 'after the idempotent replay'));

  const withTombstone = seeded.channels.find((channel) => channel.deletedSeqs.length > 0);
  if (withTombstone) failures.push(...(await checkTombstone(api, withTombstone.channelId, withTombstone.postIds.get(withTombstone.deletedSeqs[0]!)!)));

  const channel = seeded.channels[0]!;
  const restoredChannel = restored.channels.map((item) => unmarshall(item)).find((item) => item.channel_id === channel.channelId);
  const expectedSeq = Number(restoredChannel?.last_seq ?? 0) + 1;
  const published = await api.request('POST', `/api/admin/channels/${channel.channelId}/posts`, { body_text: 'Published after the restore' }, { 'idempotency-key': 'drill-after-restore' });
  const seq = published.status === 201 ? (published.body.seq as number) : undefined;
  if (seq !== expectedSeq) failures.push(`channel ${channel.channelId}: the publish after the restore returned status ${published.status} and seq ${seq}, expected 201 and seq ${expectedSeq} (last_seq + 1)`);

  const expectedMessageSeq = channel.topicLastSeq + 1;
  const replied = await api.request('POST', `/api/mobile/topics/${channel.topicId}/messages`, { body_text: 'Replied after the restore' }, { 'idempotency-key': 'drill-reply-after-restore' });
  const messageSeq = replied.status === 201 ? (replied.body.seq as number) : undefined;
  if (messageSeq !== expectedMessageSeq) {
    failures.push(`topic ${channel.topicId}: the reply after the restore returned status ${replied.status} and seq ${messageSeq}, expected 201 and seq ${expectedMessageSeq} (last_seq + 1)`);
  }

  const expectedKeys = [...(seq === undefined ? [] : [`${channel.channelId}:${seq}:1`]), ...(messageSeq === undefined ? [] : [`${channel.topicId}:${messageSeq}:1`])];
  if (expectedKeys.length > 0) failures.push(...(await checkStream(stack, expectedKeys)));

  return { failures, nextPublish: { channelId: channel.channelId, expectedSeq, seq } };
}

/** Sends a pre-wipe request again: it must be replayed from the restored idempotency record, with the same status and body. */
async function checkReplay(api: DrillApi, recorded: RecordedRequest): Promise<string[]> {
  const response = await api.request(recorded.method, recorded.path, recorded.body, { 'idempotency-key': recorded.idempotencyKey });
  const failures: string[] = [];
  if (response.headers.get('idempotent-replayed') !== 'true') failures.push(`replay of ${recorded.method} ${recorded.path} (key ${recorded.idempotencyKey}): no Idempotent-Replayed: true header, so the request ran again`);
  if (response.status !== recorded.status) failures.push(`replay of ${recorded.method} ${recorded.path}: status ${response.status}, expected ${recorded.status}`);
  if (response.text !== recorded.text) failures.push(`replay of ${recorded.method} ${recorded.path}: body differs from the original response`);
  return failures;
}

async function checkTombstone(api: DrillApi, channelId: string, postId: string): Promise<string[]> {
  const response = await api.request('GET', `/api/mobile/channels/${channelId}/posts/${postId}`);
  const isTombstone = response.status === 200 && response.body.is_deleted === true && response.body.body_text === null;
  return isTombstone ? [] : [`channel ${channelId}: post ${postId} read back as status ${response.status}, is_deleted ${response.body?.is_deleted}, expected a tombstone`];
}

/**
 * Waits for the integration events of the post and the reply written after
 * the restore and checks that the streams delivered nothing else: a restored
 * item that came through as a new change would reach clients and the
 * platform twice.
 */
async function checkStream(stack: LocalStack, expectedDedupeKeys: readonly string[]): Promise<string[]> {
  const dedupeKeys = (): string[] => stack.integrationEvents.events.map((event) => String(event.detail.dedupe_key));
  const missing = (): string[] => expectedDedupeKeys.filter((key) => !dedupeKeys().includes(key));
  const deadline = Date.now() + STREAM_WAIT_MS;
  while (missing().length > 0 && Date.now() < deadline) await sleep(STREAM_CHECK_INTERVAL_MS);

  if (missing().length > 0) return [`streams: no integration event ${missing().join(', ')} within ${STREAM_WAIT_MS} ms of the writes after the restore`];
  const others = dedupeKeys().filter((key) => !expectedDedupeKeys.includes(key));
  return others.length === 0 ? [] : [`streams: delivered restored items again as new changes: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ` and ${others.length - 5} more` : ''}`];
}

function apiFor(stack: LocalStack): DrillApi {
  return new DrillApi(stack.url, signToken(stack.signingKey, { sub: DRILL_ADMIN_ID, groups: [ADMIN_GROUP] }));
}

function totalItems(snapshot: TableSnapshot): number {
  return TABLES.reduce((sum, table) => sum + snapshot[table.id].length, 0);
}

function boundedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${name} ${value}: expected an integer from ${min} to ${max}, which keeps the drill to a few hundred items`);
  }
  return value;
}

/** Runs every cleanup, last added first, even when one fails, then throws the first failure. Stopping a stopped LocalStack does nothing. */
async function runCleanups(cleanups: readonly Cleanup[]): Promise<void> {
  let firstError: unknown;
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
}

/** Formats a report as the lines `npm run drill` prints. */
export function formatDrillReport(report: RestoreDrillReport): string {
  const lines = [
    `Restore drill ${report.passed ? 'PASSED' : 'FAILED'}`,
    `  exported: ${TABLES.map((table) => `${table.id} ${report.exported[table.id]}`).join(', ')}`,
    `  restored: ${report.restore.written} items, ${report.restore.retries} BatchWriteItem retries`,
    ...report.channels.map((channel) => `  channel ${channel.channelId}: last_seq ${channel.lastSeq}, ${channel.tombstones} tombstones`),
    `  publish after restore: seq ${report.nextPublish.seq ?? 'none'} in ${report.nextPublish.channelId} (expected ${report.nextPublish.expectedSeq})`,
    `  durations (ms): ${DRILL_PHASES.map((phase) => `${phase} ${report.durationsMs[phase]}`).join(', ')}`,
    ...(report.exportDir !== undefined ? [`  export files: ${report.exportDir}`] : []),
    ...report.failures.map((failure) => `  MISMATCH ${failure}`),
  ];
  return lines.join('\n');
}
