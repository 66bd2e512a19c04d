import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { listSubscriptions } from '../lambdas/adapters/connection-store.js';
import { channelSubscriptionKey } from '../lambdas/domain/subscriptions.js';
import { ADMIN_GROUP } from '../local/auth-config.js';
import { signToken } from '../local/signing-key.js';
import { startLocalStack, type LocalStack } from '../local/stack.js';
import { PlainBroadcast, type BroadcastRun } from './plain-broadcast.js';
import { ChannelReaders } from './realtime-clients.js';
import { median, summarize, type Summary } from './report.js';

export interface RealtimeOptions {
  /** Subscribed sockets at each latency level, ascending. The last level is also the fan-out size for throughput. */
  readonly socketLevels: readonly number[];
  /** Measured publishes per level, one at a time. */
  readonly publishesPerLevel: number;
  /** Unmeasured publishes at the start of each level, after its new sockets subscribed. */
  readonly warmupPublishes: number;
  /** Pause before each publish, drawn uniformly from this range in ms, so publishes fall at every point of the poll interval. */
  readonly pauseMs: { readonly min: number; readonly max: number };
  /** Posts published back to back for the throughput measurement. */
  readonly burstPosts: number;
  /** Broadcasts of the burst's frames through the plain `ws` server. The report gives their median. */
  readonly baselineRuns: number;
  /** Wait in ms after a stream poll that found no records, passed to the local stack's poller. */
  readonly pollIntervalMs: number;
  /** Handshakes, subscribes and access grants in flight at once during setup. */
  readonly setupConcurrency: number;
  /** Maximum wait in ms for one delta to reach every socket. Sockets still without it then count as missed. */
  readonly deltaTimeoutMs: number;
  /** Maximum wait in ms for the whole burst to reach every socket. */
  readonly burstTimeoutMs: number;
  /** The benchmark fails when it is still running after this many ms, setup included. */
  readonly timeLimitMs: number;
}

/** Delta latency with a given number of subscribed sockets. */
export interface LatencyLevel {
  readonly sockets: number;
  readonly publishes: number;
  /** ms from just before the publish request to each socket's receipt of the delta, over all sockets and publishes. */
  readonly perSocket: Summary;
  /** ms from just before the publish request until the last socket received the delta, one value per publish that reached every socket. */
  readonly lastSocket: Summary;
  /** ms of the publish request until its 201. */
  readonly publishRequest: Summary;
  /** ms of one Query of all the channel's subscriptions with the product's listSubscriptions, which the stream handler runs once per delta. */
  readonly subscriptionsQuery: Summary;
  /** Deliveries to subscribed sockets that had not arrived when the wait for their delta ended. */
  readonly missed: number;
  /** `unsubscribed` frames during the measured publishes. Those sockets are not waited for until the next level subscribes them again. */
  readonly unsubscribed: number;
  /** Publishes during which the fan-out re-checked at least one expired access decision. */
  readonly recheckPublishes: number;
}

/** One burst of posts fanned out through the layer. */
export interface LayerThroughput {
  readonly sockets: number;
  readonly posts: number;
  /** First receipts of a delta on a socket, over all posts and sockets. */
  readonly deliveries: number;
  /** Posts times sockets. */
  readonly expectedDeliveries: number;
  /** `unsubscribed` frames during the burst. */
  readonly unsubscribed: number;
  readonly completed: boolean;
  /** ms from just before the first publish request until the last socket received the last delta. */
  readonly endToEndMs: number;
  /** ms from the first receipt of any delta on any socket to the last. */
  readonly deliveryWindowMs: number;
  /** ms until every publish of the burst had returned 201. */
  readonly publishMs: number;
  /** Sizes of the burst's frames in bytes, smallest and largest. */
  readonly frameBytes: { readonly min: number; readonly max: number };
  /** Subscriptions whose expired decision was re-checked during the burst. */
  readonly recheckedSubscriptions: number;
}

export interface BaselineThroughput {
  readonly clients: number;
  readonly frames: number;
  readonly runs: readonly BroadcastRun[];
  /** Median over the runs of ms from the first send to the last receipt. */
  readonly medianMs: number;
}

export interface RealtimeResult extends RealtimeOptions {
  readonly latency: readonly LatencyLevel[];
  readonly layer: LayerThroughput;
  readonly baseline: BaselineThroughput;
  /** Seconds to grant every reader its period, and to open and subscribe every socket. */
  readonly setup: { readonly grantSeconds: number; readonly connectSeconds: number };
  /** Repeated receipts of a delta on a socket, which at-least-once delivery allows. */
  readonly duplicates: number;
  /** `unsubscribed` frames over the whole run, by reason. */
  readonly unsubscribedReasons: Readonly<Record<string, number>>;
  /** Subscribes sent again, before a level or the burst, to sockets the server had unsubscribed. */
  readonly resubscribed: number;
  /** Frames other than the channel's deltas, subscribe replies and `unsubscribed`, by type. */
  readonly unexpectedFrames: Readonly<Record<string, number>>;
  /** Benchmark sockets that the server closed before the end of the run. */
  readonly closedEarly: number;
}

/** A subscription period without an end, from a date before any benchmark post. */
const OPEN_PERIOD = { periods: [{ start: '2020-01-01T00:00:00Z', end: null }] } as const;
/** About the length of a short trading signal, as in the publish benchmark. */
const BODY_TEXT = 'Signal: EURUSD long above 1.0850, stop 1.0810, target 1.0930.';
/** The local server's connection limit counts handshakes in progress too; the margin keeps a full level clear of it. */
const CONNECTION_LIMIT_MARGIN = 100;
const ADMIN_ID = 'bench-realtime-admin';

/**
 * Measures realtime deltas on one local stack: latency from publish to
 * socket at each level of subscribed sockets, then fan-out throughput of a
 * burst at the largest level against a plain `ws` broadcast of the same
 * frames. Readers are `ws` clients in this process with their own tokens
 * and no admin role; each gets an open subscription period before it
 * subscribes. stop() tears everything down and is safe to call at any time.
 */
export class RealtimeBenchmark {
  private starting: Promise<LocalStack> | undefined;
  private readers: ChannelReaders | undefined;
  private broadcast: PlainBroadcast | undefined;
  private dataDir: string | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: RealtimeOptions) {}

  async run(): Promise<RealtimeResult> {
    try {
      return await this.measure();
    } finally {
      await this.stop();
    }
  }

  /** Stops the stack first, so its sockets close without `$disconnect` work, then the clients and the plain server. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const stack = await this.starting?.catch(() => undefined);
    try {
      await stack?.stop();
    } finally {
      this.readers?.terminate();
      await this.broadcast?.stop();
      if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
    }
  }

  private async measure(): Promise<RealtimeResult> {
    const { options } = this;
    const deadline = performance.now() + options.timeLimitMs;
    const maxSockets = Math.max(...options.socketLevels);

    console.log('Starting the local stack with DynamoDB Local in memory');
    const dataDir = await mkdtemp(join(tmpdir(), 'comm-bench-realtime-'));
    // stop() may have run during mkdtemp, before there was anything to stop.
    if (this.stopping) {
      await rm(dataDir, { recursive: true, force: true });
      throw new Error('The realtime benchmark was stopped before the local stack started');
    }
    this.dataDir = dataDir;
    this.starting = startLocalStack({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      inMemory: true,
      logLevel: 'silent',
      tablePrefix: 'bench',
      // The readers send nothing after they subscribe, so the idle timeout must outlast the run.
      webSocket: { maxConnections: maxSockets + CONNECTION_LIMIT_MARGIN, idleTimeoutMs: options.timeLimitMs + 60_000 },
      streamPolling: { pollIntervalMs: options.pollIntervalMs },
    });
    const stack = await this.starting;
    if (this.stopping) throw new Error('The realtime benchmark was stopped during start-up');

    const api = new ApiClient(stack.url, signToken(stack.signingKey, { sub: ADMIN_ID, groups: [ADMIN_GROUP] }));
    const channelId = await api.createChannel('Realtime benchmark');
    const userIds = Array.from({ length: maxSockets }, (_, index) => `bench-reader-${index + 1}`);

    console.log(`Granting ${maxSockets} readers an open subscription period`);
    const grantStarted = performance.now();
    await forEachInBatches(userIds, options.setupConcurrency, (userId) => api.grantOpenPeriod(channelId, userId));
    const grantSeconds = (performance.now() - grantStarted) / 1000;

    const readers = new ChannelReaders(stack.wsUrl, channelId);
    this.readers = readers;
    const publisher = new Publisher(api, channelId);
    const decisions = new DecisionWatch(stack, channelId);
    const latency: LatencyLevel[] = [];
    let connectSeconds = 0;
    let resubscribed = 0;

    for (const sockets of options.socketLevels) {
      console.log(`Opening and subscribing sockets up to ${sockets}`);
      const connectStarted = performance.now();
      const tokens = userIds.slice(readers.size, sockets).map((sub) => signToken(stack.signingKey, { sub }));
      await readers.add(tokens, publisher.lastSeq, options.setupConcurrency);
      resubscribed += await readers.resubscribeDropped(publisher.lastSeq, options.setupConcurrency);
      connectSeconds += (performance.now() - connectStarted) / 1000;

      console.log(`Measuring delta latency at ${sockets} sockets`);
      latency.push(await this.measureLevel(readers, publisher, decisions, deadline));
    }

    console.log(`Publishing a burst of ${options.burstPosts} posts to ${readers.size} sockets`);
    resubscribed += await readers.resubscribeDropped(publisher.lastSeq, options.setupConcurrency);
    const { layer, frames } = await this.measureBurst(readers, publisher, decisions, deadline);

    console.log(`Broadcasting the same ${frames.length} frames to ${readers.size} plain ws clients`);
    const baseline = await this.measureBaseline(frames, readers.size);

    return {
      ...options,
      latency,
      layer,
      baseline,
      setup: { grantSeconds, connectSeconds },
      duplicates: readers.duplicates,
      unsubscribedReasons: Object.fromEntries(readers.unsubscribedReasons),
      resubscribed,
      unexpectedFrames: Object.fromEntries(readers.unexpectedFrames),
      closedEarly: readers.closedEarly,
    };
  }

  private async measureLevel(readers: ChannelReaders, publisher: Publisher, decisions: DecisionWatch, deadline: number): Promise<LatencyLevel> {
    const { options } = this;
    const perSocket: number[] = [];
    const lastSocket: number[] = [];
    const publishRequest: number[] = [];
    let missed = 0;

    for (let index = 0; index < options.warmupPublishes; index += 1) {
      const seq = await publisher.publish();
      await readers.waitForDeliveries([seq], options.deltaTimeoutMs);
    }
    await decisions.snapshot();
    decisions.reset();
    const unsubscribedBefore = readers.unsubscribedTotal;

    for (let index = 0; index < options.publishesPerLevel; index += 1) {
      assertBefore(deadline, options.timeLimitMs);
      await sleep(options.pauseMs.min + Math.random() * (options.pauseMs.max - options.pauseMs.min));

      const started = performance.now();
      const seq = await publisher.publish();
      publishRequest.push(performance.now() - started);
      const complete = await readers.waitForDeliveries([seq], options.deltaTimeoutMs);

      const latencies = readers.receiptTimes(seq).map((at) => at - started);
      perSocket.push(...latencies);
      missed += readers.missing(seq);
      if (complete) lastSocket.push(Math.max(...latencies));
      await decisions.snapshot();
    }

    return {
      sockets: readers.size,
      publishes: options.publishesPerLevel,
      perSocket: summarize(perSocket),
      lastSocket: summarize(lastSocket),
      publishRequest: summarize(publishRequest),
      subscriptionsQuery: summarize(decisions.queryTimes),
      missed,
      unsubscribed: readers.unsubscribedTotal - unsubscribedBefore,
      recheckPublishes: decisions.recheckReads,
    };
  }

  private async measureBurst(
    readers: ChannelReaders,
    publisher: Publisher,
    decisions: DecisionWatch,
    deadline: number,
  ): Promise<{ layer: LayerThroughput; frames: string[] }> {
    const { options } = this;
    assertBefore(deadline, options.timeLimitMs);
    await decisions.snapshot();
    decisions.reset();
    const unsubscribedBefore = readers.unsubscribedTotal;

    const started = performance.now();
    const seqs: number[] = [];
    for (let index = 0; index < options.burstPosts; index += 1) seqs.push(await publisher.publish());
    const publishMs = performance.now() - started;
    const completed = await readers.waitForDeliveries(seqs, Math.min(options.burstTimeoutMs, Math.max(deadline - performance.now(), 0)));
    await decisions.snapshot();

    const receipts = seqs.flatMap((seq) => readers.receiptTimes(seq));
    const frames = seqs.map((seq) => readers.frameText(seq)).filter((frame): frame is string => frame !== undefined);
    const frameSizes = frames.map((frame) => Buffer.byteLength(frame));
    const first = Math.min(...receipts);
    const last = Math.max(...receipts);
    const layer: LayerThroughput = {
      sockets: readers.size,
      posts: seqs.length,
      deliveries: receipts.length,
      expectedDeliveries: seqs.length * readers.size,
      unsubscribed: readers.unsubscribedTotal - unsubscribedBefore,
      completed,
      endToEndMs: last - started,
      deliveryWindowMs: last - first,
      publishMs,
      frameBytes: { min: Math.min(...frameSizes), max: Math.max(...frameSizes) },
      recheckedSubscriptions: decisions.recheckedSubscriptions,
    };
    return { layer, frames };
  }

  private async measureBaseline(frames: readonly string[], clients: number): Promise<BaselineThroughput> {
    const { options } = this;
    const broadcast = new PlainBroadcast();
    this.broadcast = broadcast;
    await broadcast.start(clients, options.setupConcurrency);

    const runs: BroadcastRun[] = [];
    for (let run = 0; run < options.baselineRuns; run += 1) {
      runs.push(await broadcast.broadcast(frames, options.burstTimeoutMs));
    }
    await broadcast.stop();
    return { clients, frames: frames.length, runs, medianMs: median(runs.map((run) => run.ms)) };
  }
}

/** The admin calls of the benchmark, over HTTP to the local stack. */
class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly adminToken: string,
  ) {}

  async createChannel(title: string): Promise<string> {
    const body = await this.request('POST', '/api/admin/channels', { title }, 201);
    return body.id as string;
  }

  async grantOpenPeriod(channelId: string, userId: string): Promise<void> {
    await this.request('PUT', `/api/admin/access/${channelId}/users/${userId}`, OPEN_PERIOD, 200);
  }

  async publishPost(channelId: string): Promise<{ id: string; seq: number }> {
    const body = await this.request('POST', `/api/admin/channels/${channelId}/posts`, { body_text: BODY_TEXT }, 201, { 'idempotency-key': randomUUID() });
    return body as { id: string; seq: number };
  }

  private async request(method: string, path: string, body: unknown, expectedStatus: number, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expectedStatus) throw new Error(`${method} ${path} returned ${response.status} instead of ${expectedStatus}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  }
}

/** Publishes to one channel, one post at a time, and checks that seqs follow each other. */
class Publisher {
  lastSeq = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly channelId: string,
  ) {}

  async publish(): Promise<number> {
    const post = await this.api.publishPost(this.channelId);
    if (post.seq !== this.lastSeq + 1) {
      throw new Error(`Publish to channel ${this.channelId} returned seq ${post.seq} after seq ${this.lastSeq}. The benchmark expects consecutive seqs, so nothing else may publish to its channel`);
    }
    this.lastSeq = post.seq;
    return post.seq;
  }
}

/**
 * Reads the channel's subscriptions between publishes and counts those
 * whose stored decision changed since the previous read: the fan-out
 * re-checked them because they had expired. It also times each read, the
 * same Query that the stream handler runs for every delta.
 */
class DecisionWatch {
  /** ms of each read since the last reset. */
  queryTimes: number[] = [];
  /** Reads since the last reset that found at least one re-checked decision. */
  recheckReads = 0;
  /** Re-checked decisions found since the last reset. */
  recheckedSubscriptions = 0;
  private previous = new Map<string, number>();

  constructor(
    private readonly stack: LocalStack,
    private readonly channelId: string,
  ) {}

  async snapshot(): Promise<void> {
    const started = performance.now();
    const subscriptions = await listSubscriptions(this.stack.db, this.stack.tables, channelSubscriptionKey(this.channelId));
    this.queryTimes.push(performance.now() - started);

    const current = new Map(subscriptions.map((subscription) => [subscription.connection_id, subscription.decision.validUntil]));
    let changed = 0;
    for (const [connectionId, validUntil] of current) {
      const before = this.previous.get(connectionId);
      if (before !== undefined && before !== validUntil) changed += 1;
    }
    if (changed > 0) this.recheckReads += 1;
    this.recheckedSubscriptions += changed;
    this.previous = current;
  }

  reset(): void {
    this.queryTimes = [];
    this.recheckReads = 0;
    this.recheckedSubscriptions = 0;
  }
}

async function forEachInBatches<T>(items: readonly T[], batchSize: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += batchSize) {
    await Promise.all(items.slice(start, start + batchSize).map(work));
  }
}

function assertBefore(deadline: number, timeLimitMs: number): void {
  if (performance.now() > deadline) throw new Error(`The realtime benchmark timed out after ${timeLimitMs / 1000} s. Lower publishesPerLevel, burstPosts or socketLevels in bench/run.ts`);
}
