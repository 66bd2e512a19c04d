/**
 * The soak run: one local stack in memory on loopback, loaded for a bounded
 * number of publishes and a bounded time. Admins publish, retry, edit and
 * delete. Readers, whose windows hide part of each channel, page feeds, read
 * posts and subscribe. Afterwards the run checks seqs, idempotency, feed
 * pages, single-post reads, deltas and response bodies against the windows
 * in soak-scenario.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { ADMIN_GROUP } from './auth-config.js';
import { signToken } from './signing-key.js';
import { READ_OPERATIONS, SoakHttpClient, SoakRecorder, SoakSocket, type HttpResult, type Operation } from './soak-client.js';
import { CHANNEL_POLICIES, historyInstants, policyOfChannel, PROFILE_NAMES, READER_PROFILES, isReadable, type ProfileName } from './soak-scenario.js';
import {
  countPublishedFrames,
  tokenOf,
  TOKEN_PATTERN,
  verifySoak,
  ViolationLog,
  type AcknowledgedPost,
  type PageRecord,
  type PostReadRecord,
  type SoakChannel,
  type StoredPost,
  type SubscribedSocket,
} from './soak-verify.js';
import { startLocalStack, type LocalStack } from './stack.js';

export interface SoakOptions {
  /** New posts to publish during the load, 1 to MAX_SOAK_PUBLISHES; idempotent retries are extra. @default 10000 */
  readonly publishes?: number;
  /** Concurrent clients, 2 to MAX_SOAK_CLIENTS: a quarter (at least one) publish as admins, the rest read. @default 20 */
  readonly clients?: number;
  /** Channels, 1 to MAX_SOAK_CHANNELS; their access policies alternate. @default 4 */
  readonly channels?: number;
  /** Imported history posts per channel on a 5-day grid from 2024-10-01, 0 to 500, plus 10 posts at window edges. @default 60 */
  readonly historyPerChannel?: number;
  /** Reuse a running DynamoDB Local, as tests do. @default a new in-memory DynamoDB Local, stopped at the end */
  readonly dynamoEndpoint?: string;
  /** The load stops after this many ms, recorded as a time-limit violation. @default 480000 */
  readonly timeLimitMs?: number;
  /** How long to wait after the load for deltas still on their way. @default 60000 */
  readonly drainTimeoutMs?: number;
  /** Pause of each reader between two reads, which keeps readers from starving the admins on 2 cores. @default 10 */
  readonly readerPauseMs?: number;
  /** Seed of the clients' random choices. @default 1 */
  readonly seed?: number;
  /** Aborting stops the run: it cleans up everything it started and rejects. */
  readonly signal?: AbortSignal;
  /** Receives one line per phase. @default no output */
  readonly log?: (line: string) => void;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface SoakFigures {
  readonly channels: number;
  readonly admins: number;
  readonly readers: number;
  /** History posts imported before the load, over all channels. */
  readonly imports: number;
  /** New posts acknowledged during the load. */
  readonly publishes: number;
  /** Publishes sent again with the same Idempotency-Key, one after the other or two at once. */
  readonly idempotentRetries: number;
  readonly edits: number;
  readonly deletes: number;
  /** Feed pages, single-post reads and channel lists by readers. */
  readonly reads: number;
  /** Subscribe requests, of the long-lived sockets and of the short-lived ones readers open during the load. */
  readonly subscribes: number;
  readonly sockets: number;
  readonly setupSeconds: number;
  readonly loadSeconds: number;
  /** From the end of the load until every expected delta had arrived or the drain timed out. */
  readonly drainSeconds: number;
  readonly totalSeconds: number;
  readonly publishesPerSecond: number;
  readonly readsPerSecond: number;
  readonly latency: Readonly<Partial<Record<Operation, LatencySummary>>>;
  /** Responses per `operation status`. */
  readonly statuses: Readonly<Record<string, number>>;
  /** 429 responses, which the admins retried with the same Idempotency-Key. */
  readonly rateLimited: number;
  /** Every frame received by every socket. */
  readonly framesDelivered: number;
  readonly publishedFrames: number;
  /** post.published frames whose dedupe_key the socket had already received. */
  readonly repeatedPublishedFrames: number;
}

export interface SoakResult {
  /** True when no violation was found. */
  readonly passed: boolean;
  /** The first examples of each check that failed, then a count of the rest. */
  readonly violations: readonly string[];
  readonly violationsByCheck: Readonly<Record<string, number>>;
  readonly figures: SoakFigures;
}

export const MAX_SOAK_PUBLISHES = 100_000;
export const MAX_SOAK_CLIENTS = 100;
export const MAX_SOAK_CHANNELS = 20;
const MAX_HISTORY_PER_CHANNEL = 500;
const DEFAULT_TIME_LIMIT_MS = 8 * 60_000;
const DEFAULT_DRAIN_TIMEOUT_MS = 60_000;
/** Setup and verification on top of the load and the drain; both take seconds, so this only stops a stuck run. */
const SETUP_ALLOWANCE_MS = 3 * 60_000;
const SOCKET_REPLY_TIMEOUT_MS = 15_000;
const DRAIN_CHECK_INTERVAL_MS = 250;
/** Wait after the drain so that late frames of hidden posts would still be caught. */
const SETTLE_MS = 1_000;
/** A publish rejected with 429 is sent again with the same key after Retry-After, at most this many times. */
const MAX_RATE_LIMITED_ATTEMPTS = 8;
const FEED_LIMITS = [5, 20, 50, 100] as const;
const VERIFY_PAGE_LIMIT = 100;

/** Chances per admin step; together they make a few percent of the traffic edits, deletes and retries. */
const ADMIN_MIX = { concurrentDuplicate: 0.01, sequentialRetry: 0.03, edit: 0.05, delete: 0.02 } as const;
/** Cumulative chances of each reader step, in this order, the rest being short-lived subscriptions. */
const READER_MIX = { feedAfter: 0.35, feedBefore: 0.7, postRead: 0.95, channelList: 0.98 } as const;

/**
 * Runs the soak and returns its figures and violations. Options out of
 * range reject with a RangeError before anything starts; setup failures,
 * such as DynamoDB Local not starting, reject after cleaning up.
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const settings = {
    publishes: boundedInteger('publishes', options.publishes ?? 10_000, 1, MAX_SOAK_PUBLISHES),
    clients: boundedInteger('clients', options.clients ?? 20, 2, MAX_SOAK_CLIENTS),
    channels: boundedInteger('channels', options.channels ?? 4, 1, MAX_SOAK_CHANNELS),
    historyPerChannel: boundedInteger('historyPerChannel', options.historyPerChannel ?? 60, 0, MAX_HISTORY_PER_CHANNEL),
    timeLimitMs: options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
    drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    readerPauseMs: options.readerPauseMs ?? 10,
    seed: options.seed ?? 1,
    log: options.log ?? (() => undefined),
  };

  const dataDir = await mkdtemp(join(tmpdir(), 'comm-soak-'));
  let stack: LocalStack | undefined;
  const run = new SoakRun(settings);
  let timer: NodeJS.Timeout | undefined;
  const overallLimitMs = settings.timeLimitMs + settings.drainTimeoutMs + SETUP_ALLOWANCE_MS;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Soak run timed out after ${overallLimitMs} ms in the ${run.phase} phase`)), overallLimitMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    if (options.signal?.aborted) reject(new Error('Soak run aborted before it started'));
    options.signal?.addEventListener('abort', () => reject(new Error(`Soak run aborted in the ${run.phase} phase`)), { once: true });
  });
  aborted.catch(() => undefined);

  try {
    const started = async (): Promise<SoakResult> => {
      stack = await startLocalStack({
        port: 0,
        dataDir,
        inMemory: true,
        tablePrefix: `soak${randomBytes(4).toString('hex')}`,
        logLevel: 'silent',
        ...(options.dynamoEndpoint && { dynamoEndpoint: options.dynamoEndpoint }),
      });
      return run.execute(stack);
    };
    const execution = started();
    // After a timeout the run goes on until the stack stops under it; its late error is expected and dropped.
    execution.catch(() => undefined);
    return await Promise.race([execution, timeout, aborted]);
  } finally {
    clearTimeout(timer);
    run.stopLoad();
    await run.closeSockets();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface SoakSettings {
  readonly publishes: number;
  readonly clients: number;
  readonly channels: number;
  readonly historyPerChannel: number;
  readonly timeLimitMs: number;
  readonly drainTimeoutMs: number;
  readonly readerPauseMs: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

/** A post an admin may edit or delete; each has one owner, so no two admins race on it. */
interface OwnedPost {
  readonly channelIndex: number;
  readonly id: string;
  readonly token: string;
  deleted: boolean;
}

interface AdminClient {
  readonly userId: string;
  readonly token: string;
  readonly owned: OwnedPost[];
  readonly random: () => number;
}

interface ReaderClient {
  readonly userId: string;
  readonly profile: ProfileName;
  readonly token: string;
  readonly random: () => number;
  /** The short-lived socket this reader opened last, closed when it opens the next. */
  extraSocket?: SoakSocket;
}

/** The state of one run, shared by its clients. */
class SoakRun {
  phase = 'setup';
  private readonly recorder = new SoakRecorder();
  private readonly violations = new ViolationLog();
  private http!: SoakHttpClient;
  private wsUrl = '';
  private setupToken = '';
  private channels: SoakChannel[] = [];
  private readonly sockets: SubscribedSocket[] = [];
  /** Per channel index: Idempotency-Key to the seq it was acknowledged with. */
  private readonly keys = new Map<number, Map<string, number>>();
  private readonly acknowledged = new Map<string, AcknowledgedPost>();
  /** Per channel index: acknowledged posts in no particular order, for readers to pick from. */
  private readonly postsByChannel = new Map<number, AcknowledgedPost[]>();
  private readonly highestSeq = new Map<number, number>();
  private readonly pages: PageRecord[] = [];
  private readonly postReads: PostReadRecord[] = [];
  private readonly tokensSeen = new Map<ProfileName, Set<string>>();
  private tokenCounter = 0;
  private nextPublish = 0;
  private publishedCount = 0;
  private retries = 0;
  private edits = 0;
  private deletes = 0;
  private loadOver = false;

  constructor(private readonly settings: SoakSettings) {}

  async execute(stack: LocalStack): Promise<SoakResult> {
    const runStarted = performance.now();
    this.http = new SoakHttpClient(stack.url, this.recorder);
    this.wsUrl = stack.wsUrl;
    const sign = (sub: string, admin: boolean): string => signToken(stack.signingKey, { sub, groups: admin ? [ADMIN_GROUP] : [] });
    this.setupToken = sign('soak-setup-admin', true);

    const adminCount = Math.max(1, Math.round(this.settings.clients / 4));
    // The first publisher is an analyst without the admin role, listed in every channel's publisher_ids.
    const admins: AdminClient[] = Array.from({ length: adminCount }, (_, index) => {
      const userId = index === 0 ? 'soak-analyst' : `soak-admin-${index}`;
      return { userId, token: sign(userId, index !== 0), owned: [], random: seededRandom(this.settings.seed * 1000 + index) };
    });
    const readers: ReaderClient[] = Array.from({ length: this.settings.clients - adminCount }, (_, index) => {
      const profile = PROFILE_NAMES[index % PROFILE_NAMES.length]!;
      const userId = `soak-${profile}-${index}`;
      return { userId, profile, token: sign(userId, false), random: seededRandom(this.settings.seed * 1000 + 500 + index) };
    });

    this.settings.log(`Creating ${this.settings.channels} channels and granting ${readers.length} readers their periods`);
    await this.createChannels();
    await this.grantReaders(readers);
    await this.subscribeReaders(readers);
    this.settings.log(`Importing ${historyInstants(this.settings.historyPerChannel).length} history posts per channel`);
    await this.importHistory(admins);
    const setupSeconds = (performance.now() - runStarted) / 1000;

    this.phase = 'load';
    this.settings.log(`Publishing ${this.settings.publishes} posts from ${admins.length} admins while ${readers.length} readers read`);
    const loadStarted = performance.now();
    const deadline = setTimeout(() => {
      this.violations.add('time-limit', `the load reached its limit of ${this.settings.timeLimitMs} ms after ${this.publishedCount} of ${this.settings.publishes} publishes`);
      this.stopLoad();
    }, this.settings.timeLimitMs);
    const adminsDone = Promise.all(admins.map((admin) => this.runAdmin(admin))).finally(() => this.stopLoad());
    await Promise.all([adminsDone, ...readers.map((reader) => this.runReader(reader))]);
    clearTimeout(deadline);
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    this.phase = 'verify';
    this.settings.log('Reading every channel as an admin and waiting for deltas');
    const stored = await this.readAllChannels();
    const drainStarted = performance.now();
    await this.drainDeltas(stored);
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    await sleep(SETTLE_MS);

    for (const failure of this.recorder.serverFailures) {
      this.violations.add('no-server-errors', `${failure.method} ${failure.path} (${failure.operation}): ${failure.status === 0 ? 'no response' : `HTTP ${failure.status}`} ${failure.detail}`);
    }
    verifySoak(
      { channels: this.channels, stored, keys: this.keys, acknowledged: this.acknowledged, pages: this.pages, postReads: this.postReads, sockets: this.sockets, tokensSeen: this.tokensSeen },
      this.violations,
    );

    const figures = this.figures({ admins: admins.length, readers: readers.length, setupSeconds, loadSeconds, drainSeconds, totalSeconds: (performance.now() - runStarted) / 1000 });
    return { passed: this.violations.total === 0, violations: this.violations.list(), violationsByCheck: this.violations.byCheck(), figures };
  }

  stopLoad(): void {
    this.loadOver = true;
  }

  async closeSockets(): Promise<void> {
    await Promise.all(this.sockets.map((subscribed) => subscribed.socket.close()));
  }

  private async createChannels(): Promise<void> {
    for (let index = 0; index < this.settings.channels; index += 1) {
      const policy = policyOfChannel(index);
      const body = { title: `Soak ${index}`, access_policy: CHANNEL_POLICIES[policy], publisher_ids: ['soak-analyst'] };
      const response = await this.http.send('setup', 'POST', '/api/admin/channels', { token: this.setupToken, body });
      if (response.status !== 201) throw new Error(`Creating soak channel ${index} failed with HTTP ${response.status}: ${response.text}`);
      this.channels.push({ index, id: response.body.id as string, policy });
      this.keys.set(index, new Map());
      this.postsByChannel.set(index, []);
      this.highestSeq.set(index, 0);
    }
  }

  private async grantReaders(readers: readonly ReaderClient[]): Promise<void> {
    for (const reader of readers) {
      for (const channel of this.channels) {
        const body = { periods: READER_PROFILES[reader.profile].periods };
        const response = await this.http.send('setup', 'PUT', `/api/admin/access/${channel.id}/users/${reader.userId}`, { token: this.setupToken, body });
        if (response.status !== 200) throw new Error(`Granting ${reader.userId} periods on ${channel.id} failed with HTTP ${response.status}: ${response.text}`);
      }
    }
  }

  /** Subscribes each reader to two channels with after_seq 0 before any post exists, so its socket must receive every readable post. */
  private async subscribeReaders(readers: readonly ReaderClient[]): Promise<void> {
    for (const [index, reader] of readers.entries()) {
      const socket = await SoakSocket.open(this.wsUrl, reader.token);
      const channelIndexes = [...new Set([index % this.channels.length, (index + 1) % this.channels.length])];
      this.sockets.push({ userId: reader.userId, profile: reader.profile, channelIndexes, socket, expectsEveryPost: true });
      for (const channelIndex of channelIndexes) {
        const reply = await this.subscribe(socket, channelIndex, 0);
        if (reply.type !== 'subscribed') throw new Error(`Subscribing ${reader.userId} to ${this.channels[channelIndex]!.id} failed: ${JSON.stringify(reply)}`);
      }
    }
  }

  private async subscribe(socket: SoakSocket, channelIndex: number, afterSeq: number): Promise<Record<string, any>> {
    const started = performance.now();
    const reply = await socket.request({ action: 'subscribe', channel_id: this.channels[channelIndex]!.id, after_seq: afterSeq }, 'subscribed', SOCKET_REPLY_TIMEOUT_MS);
    this.recorder.record('subscribe', reply.type === 'error' ? `error:${reply.code}` : reply.type, performance.now() - started);
    return reply;
  }

  /** Imports each channel's history in published_at order, the channels in parallel; post j is owned by admin j mod admins. */
  private async importHistory(admins: readonly AdminClient[]): Promise<void> {
    const instants = historyInstants(this.settings.historyPerChannel);
    await Promise.all(
      this.channels.map(async (channel) => {
        for (const [position, publishedAt] of instants.entries()) {
          const token = tokenOf(channel.index, this.tokenCounter++);
          const key = `import-${channel.index}-${position}`;
          const response = await this.sendPublish('import', channel, key, { body_text: `Archive ${token}: ${publishedAt}`, published_at: publishedAt }, this.setupToken);
          if (response.status !== 201) throw new Error(`Importing history into ${channel.id} failed with HTTP ${response.status}: ${response.text}`);
          this.acknowledge(channel, key, token, response);
          admins[position % admins.length]!.owned.push({ channelIndex: channel.index, id: response.body.id as string, token, deleted: false });
        }
      }),
    );
  }

  private async runAdmin(admin: AdminClient): Promise<void> {
    while (!this.loadOver) {
      const index = this.nextPublish;
      if (index >= this.settings.publishes) return;
      this.nextPublish += 1;
      const channel = this.channels[index % this.channels.length]!;
      const token = tokenOf(channel.index, this.tokenCounter++);
      const key = `soak-${index}`;
      const body = { body_text: `Signal ${token}: entry ${index}` };

      const published = admin.random() < ADMIN_MIX.concurrentDuplicate ? await this.publishTwiceAtOnce(admin, channel, key, body) : await this.sendPublish('publish', channel, key, body, admin.token);
      if (published.status !== 201) {
        this.violations.add('unexpected-status', `publish ${key} to ${channel.id} as ${admin.userId}: HTTP ${published.status} ${published.text.slice(0, 200)}`);
        continue;
      }
      this.acknowledge(channel, key, token, published);
      this.publishedCount += 1;
      admin.owned.push({ channelIndex: channel.index, id: published.body.id as string, token, deleted: false });

      if (admin.random() < ADMIN_MIX.sequentialRetry) await this.retryPublish(admin, channel, key, body, published);
      if (admin.random() < ADMIN_MIX.edit) await this.editOwnedPost(admin);
      if (admin.random() < ADMIN_MIX.delete) await this.deleteOwnedPost(admin);
    }
  }

  /** Sends a publish or import, and sends it again with the same key while it is rejected with 429, after Retry-After. */
  private async sendPublish(operation: Operation, channel: SoakChannel, key: string, body: Record<string, string>, token: string): Promise<HttpResult> {
    const path = operation === 'import' ? `/api/admin/channels/${channel.id}/posts/import` : `/api/admin/channels/${channel.id}/posts`;
    let response = await this.http.send(operation, 'POST', path, { token, body, headers: { 'idempotency-key': key } });
    for (let attempt = 1; response.status === 429 && attempt < MAX_RATE_LIMITED_ATTEMPTS; attempt += 1) {
      await sleep(Number(response.headers?.get('retry-after') ?? 1) * 1000);
      response = await this.http.send(operation, 'POST', path, { token, body, headers: { 'idempotency-key': key } });
    }
    return response;
  }

  /** Sends one publish twice at once: both must get the same post, and exactly one of them must not be a replay. */
  private async publishTwiceAtOnce(admin: AdminClient, channel: SoakChannel, key: string, body: Record<string, string>): Promise<HttpResult> {
    this.retries += 1;
    const [first, second] = await Promise.all([this.sendPublish('publish-concurrent', channel, key, body, admin.token), this.sendPublish('publish-concurrent', channel, key, body, admin.token)]);
    if (first.status !== 201 || second.status !== 201) return first.status !== 201 ? first : second;

    const replays = [first, second].filter((response) => response.headers?.get('idempotent-replayed') === 'true').length;
    if (first.body.id !== second.body.id || first.body.seq !== second.body.seq) {
      this.violations.add('idempotency', `two concurrent publishes with key ${key} to ${channel.id} got seq ${first.body.seq} and seq ${second.body.seq}`);
    } else if (replays !== 1) {
      this.violations.add('idempotency', `two concurrent publishes with key ${key} to ${channel.id}: ${replays} of 2 responses had Idempotent-Replayed: true, expected 1`);
    }
    return first;
  }

  private async retryPublish(admin: AdminClient, channel: SoakChannel, key: string, body: Record<string, string>, original: HttpResult): Promise<void> {
    this.retries += 1;
    const replay = await this.sendPublish('publish-retry', channel, key, body, admin.token);
    const replayed = replay.headers?.get('idempotent-replayed') === 'true';
    if (replay.status !== 201 || !replayed || replay.body?.id !== original.body.id || replay.body?.seq !== original.body.seq) {
      this.violations.add('idempotency', `retry of key ${key} to ${channel.id}: HTTP ${replay.status}, Idempotent-Replayed ${String(replayed)}, seq ${replay.body?.seq} against the original seq ${original.body.seq}`);
    }
  }

  private async editOwnedPost(admin: AdminClient): Promise<void> {
    const post = pick(admin.owned.filter((candidate) => !candidate.deleted), admin.random);
    if (!post) return;
    const channel = this.channels[post.channelIndex]!;
    const response = await this.http.send('edit', 'PATCH', `/api/admin/channels/${channel.id}/posts/${post.id}`, { token: admin.token, body: { body_text: `Corrected ${post.token}` } });
    if (response.status !== 200) this.violations.add('unexpected-status', `edit of ${post.id} in ${channel.id} as ${admin.userId}: HTTP ${response.status} ${response.text.slice(0, 200)}`);
    this.edits += 1;
  }

  private async deleteOwnedPost(admin: AdminClient): Promise<void> {
    const post = pick(admin.owned.filter((candidate) => !candidate.deleted), admin.random);
    if (!post) return;
    post.deleted = true;
    const channel = this.channels[post.channelIndex]!;
    const response = await this.http.send('delete', 'DELETE', `/api/admin/channels/${channel.id}/posts/${post.id}`, { token: admin.token });
    if (response.status !== 200) this.violations.add('unexpected-status', `delete of ${post.id} in ${channel.id} as ${admin.userId}: HTTP ${response.status} ${response.text.slice(0, 200)}`);
    this.deletes += 1;
  }

  private acknowledge(channel: SoakChannel, key: string, token: string, response: HttpResult): void {
    const seq = response.body.seq as number;
    const keys = this.keys.get(channel.index)!;
    const previous = keys.get(key);
    if (previous !== undefined && previous !== seq) this.violations.add('idempotency', `key ${key} in ${channel.id} was acknowledged with seq ${previous} and later seq ${seq}`);
    keys.set(key, seq);

    const post: AcknowledgedPost = { channelIndex: channel.index, seq, id: response.body.id as string, token, publishedAt: response.body.published_at as string };
    this.acknowledged.set(token, post);
    this.postsByChannel.get(channel.index)!.push(post);
    this.highestSeq.set(channel.index, Math.max(this.highestSeq.get(channel.index)!, seq));
  }

  private async runReader(reader: ReaderClient): Promise<void> {
    while (!this.loadOver) {
      const channel = pick(this.channels, reader.random)!;
      const roll = reader.random();
      if (roll < READER_MIX.feedAfter) await this.readFeedPage(reader, channel, 'after');
      else if (roll < READER_MIX.feedBefore) await this.readFeedPage(reader, channel, 'before');
      else if (roll < READER_MIX.postRead) await this.readPost(reader, channel);
      else if (roll < READER_MIX.channelList) await this.listChannels(reader);
      else await this.subscribeBriefly(reader, channel);
      if (this.settings.readerPauseMs > 0) await sleep(this.settings.readerPauseMs);
    }
    await reader.extraSocket?.close();
  }

  private async readFeedPage(reader: ReaderClient, channel: SoakChannel, direction: 'after' | 'before'): Promise<void> {
    const highest = this.highestSeq.get(channel.index)!;
    const cursor = direction === 'after' ? Math.floor(reader.random() * (highest + 1)) : 1 + Math.floor(reader.random() * (highest + 1));
    const limit = pick(FEED_LIMITS, reader.random)!;
    const operation = direction === 'after' ? 'feed-after' : 'feed-before';
    const response = await this.http.send(operation, 'GET', `/api/mobile/channels/${channel.id}/posts?${direction}_seq=${cursor}&limit=${limit}`, { token: reader.token });
    this.noteTokens(reader.profile, response.text);
    if (response.status !== 200) {
      this.violations.add('unexpected-status', `${reader.profile} reader, ${operation} of ${channel.id} at ${cursor}: HTTP ${response.status} ${response.text.slice(0, 200)}`);
      return;
    }

    const page = response.body;
    const next = (direction === 'after' ? page.next_after_seq : page.next_before_seq) as number;
    const seqs = (page.posts as { seq: number }[]).map((post) => post.seq);
    this.pages.push({ profile: reader.profile, channelIndex: channel.index, direction, cursor, limit, seqs, next, hasMore: page.has_more as boolean, lastSeq: page.last_seq as number });
  }

  private async readPost(reader: ReaderClient, channel: SoakChannel): Promise<void> {
    const post = pick(this.postsByChannel.get(channel.index)!, reader.random);
    if (!post) return;
    const response = await this.http.send('post-read', 'GET', `/api/mobile/channels/${channel.id}/posts/${post.id}`, { token: reader.token });
    this.noteTokens(reader.profile, response.text);
    this.postReads.push({ profile: reader.profile, channelIndex: channel.index, seq: post.seq, status: response.status });
  }

  private async listChannels(reader: ReaderClient): Promise<void> {
    const response = await this.http.send('channel-list', 'GET', '/api/mobile/channels', { token: reader.token });
    this.noteTokens(reader.profile, response.text);
    if (response.status !== 200) this.violations.add('unexpected-status', `${reader.profile} reader, channel list: HTTP ${response.status} ${response.text.slice(0, 200)}`);
  }

  /** Opens a socket and subscribes from the current end of the channel; it only checks that nothing hidden arrives, since it misses earlier posts. */
  private async subscribeBriefly(reader: ReaderClient, channel: SoakChannel): Promise<void> {
    await reader.extraSocket?.close();
    const socket = await SoakSocket.open(this.wsUrl, reader.token);
    reader.extraSocket = socket;
    this.sockets.push({ userId: reader.userId, profile: reader.profile, channelIndexes: [channel.index], socket, expectsEveryPost: false });
    await this.subscribe(socket, channel.index, this.highestSeq.get(channel.index)!);
  }

  private noteTokens(profile: ProfileName, text: string): void {
    const tokens = text.match(TOKEN_PATTERN);
    if (!tokens) return;
    const seen = this.tokensSeen.get(profile) ?? new Set<string>();
    for (const token of tokens) seen.add(token);
    this.tokensSeen.set(profile, seen);
  }

  /** Pages through every channel as an admin, who reads every post. */
  private async readAllChannels(): Promise<Map<number, { posts: StoredPost[]; lastSeq: number }>> {
    const stored = new Map<number, { posts: StoredPost[]; lastSeq: number }>();
    for (const channel of this.channels) {
      const posts: StoredPost[] = [];
      let afterSeq = 0;
      let lastSeq = 0;
      for (;;) {
        const response = await this.http.send('verify-read', 'GET', `/api/mobile/channels/${channel.id}/posts?after_seq=${afterSeq}&limit=${VERIFY_PAGE_LIMIT}`, { token: this.setupToken });
        if (response.status !== 200) throw new Error(`Reading ${channel.id} as an admin failed with HTTP ${response.status}: ${response.text}`);
        posts.push(...(response.body.posts as StoredPost[]));
        lastSeq = response.body.last_seq as number;
        afterSeq = response.body.next_after_seq as number;
        if (!response.body.has_more) break;
      }
      stored.set(channel.index, { posts, lastSeq });
    }
    return stored;
  }

  /** Waits until every long-lived socket has a post.published frame for each post it may read, or the drain times out. */
  private async drainDeltas(stored: ReadonlyMap<number, { posts: readonly StoredPost[] }>): Promise<void> {
    const expected = this.sockets
      .filter((subscribed) => subscribed.expectsEveryPost)
      .map((subscribed) => {
        const seqs = subscribed.channelIndexes.flatMap((channelIndex) => {
          const channel = this.channels[channelIndex]!;
          return stored
            .get(channelIndex)!
            .posts.filter((post) => isReadable(subscribed.profile, channel.policy, post.published_at))
            .map((post) => `${channel.id}:${post.seq}`);
        });
        return { socket: subscribed.socket, seqs };
      });
    const deadline = Date.now() + this.settings.drainTimeoutMs;
    const complete = (): boolean =>
      expected.every(({ socket, seqs }) => {
        const received = new Set(socket.frames.filter((frame) => frame.type === 'post.published').map((frame) => `${frame.channel_id}:${frame.seq}`));
        return seqs.every((seq) => received.has(seq));
      });
    while (!complete() && Date.now() < deadline) await sleep(DRAIN_CHECK_INTERVAL_MS);
  }

  private figures(timing: { admins: number; readers: number; setupSeconds: number; loadSeconds: number; drainSeconds: number; totalSeconds: number }): SoakFigures {
    const latency: Partial<Record<Operation, LatencySummary>> = {};
    for (const [operation, series] of this.recorder.latencies) latency[operation] = summarizeLatency(series);
    const published = this.sockets.map((subscribed) => countPublishedFrames(subscribed.socket.frames));
    const reads = this.recorder.countOf(READ_OPERATIONS);
    const statuses = Object.fromEntries([...this.recorder.statuses].sort(([a], [b]) => a.localeCompare(b)));
    const rateLimited = Object.entries(statuses)
      .filter(([key]) => key.endsWith(' 429'))
      .reduce((sum, [, count]) => sum + count, 0);

    return {
      channels: this.channels.length,
      admins: timing.admins,
      readers: timing.readers,
      imports: this.recorder.statuses.get('import 201') ?? 0,
      publishes: this.publishedCount,
      idempotentRetries: this.retries,
      edits: this.edits,
      deletes: this.deletes,
      reads,
      subscribes: this.recorder.countOf(['subscribe']),
      sockets: this.sockets.length,
      setupSeconds: timing.setupSeconds,
      loadSeconds: timing.loadSeconds,
      drainSeconds: timing.drainSeconds,
      totalSeconds: timing.totalSeconds,
      publishesPerSecond: this.publishedCount / timing.loadSeconds,
      readsPerSecond: reads / timing.loadSeconds,
      latency,
      statuses,
      rateLimited,
      framesDelivered: this.sockets.reduce((sum, subscribed) => sum + subscribed.socket.frames.length, 0),
      publishedFrames: published.reduce((sum, entry) => sum + entry.frames, 0),
      repeatedPublishedFrames: published.reduce((sum, entry) => sum + entry.repeats, 0),
    };
  }
}

/** Nearest-rank percentiles in ms. */
function summarizeLatency(series: readonly number[]): LatencySummary {
  const sorted = [...series].sort((a, b) => a - b);
  const rank = (fraction: number): number => sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]!;
  return { count: sorted.length, p50Ms: rank(0.5), p99Ms: rank(0.99) };
}

function pick<T>(items: readonly T[], random: () => number): T | undefined {
  if (items.length === 0) return undefined;
  return items[Math.floor(random() * items.length)];
}

/** mulberry32: a small seeded generator, so a run's mix of operations can be repeated. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function boundedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${name} ${value}: expected an integer from ${min} to ${max}, which keeps the soak bounded in count and time`);
  }
  return value;
}
