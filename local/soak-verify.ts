/**
 * The checks a soak run makes once its load has stopped. Each compares what
 * the clients recorded during the run with the channels as an admin reads
 * them afterwards, and with the windows the scenario expects for each
 * reader profile.
 */
import type { Frame, SoakSocket } from './soak-client.js';
import { isReadable, type PolicyName, type ProfileName } from './soak-scenario.js';

export const SOAK_CHECKS = [
  'no-server-errors',
  'unexpected-status',
  'contiguous-seq',
  'idempotency',
  'feed-pages',
  'post-reads',
  'deltas-delivered',
  'deltas-withheld',
  'content-leak',
  'subscriptions',
  'time-limit',
] as const;
export type SoakCheck = (typeof SOAK_CHECKS)[number];

/** Examples kept per check; the rest are only counted. */
const MAX_EXAMPLES_PER_CHECK = 20;

/** Violations found, grouped by check, with the first few described in full. */
export class ViolationLog {
  private readonly counts = new Map<SoakCheck, number>();
  private readonly examples: string[] = [];

  add(check: SoakCheck, detail: string): void {
    const count = (this.counts.get(check) ?? 0) + 1;
    this.counts.set(check, count);
    if (count <= MAX_EXAMPLES_PER_CHECK) this.examples.push(`${check}: ${detail}`);
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  /** Returns one line per kept example, then one line per check whose further violations were only counted. */
  list(): string[] {
    const overflow = [...this.counts].filter(([, count]) => count > MAX_EXAMPLES_PER_CHECK).map(([check, count]) => `${check}: ${count - MAX_EXAMPLES_PER_CHECK} more not listed`);
    return [...this.examples, ...overflow];
  }

  byCheck(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

export interface SoakChannel {
  readonly index: number;
  readonly id: string;
  readonly policy: PolicyName;
}

/** A post as an admin reads it after the run. */
export interface StoredPost {
  readonly id: string;
  readonly seq: number;
  readonly published_at: string;
  readonly is_deleted: boolean;
  readonly body_text: string | null;
}

/** A post whose publish or import was acknowledged, indexed by the unique token in its body. */
export interface AcknowledgedPost {
  readonly channelIndex: number;
  readonly seq: number;
  readonly id: string;
  readonly token: string;
  readonly publishedAt: string;
}

export interface PageRecord {
  readonly profile: ProfileName;
  readonly channelIndex: number;
  readonly direction: 'after' | 'before';
  readonly cursor: number;
  readonly limit: number;
  readonly seqs: readonly number[];
  /** `next_after_seq` or `next_before_seq`. */
  readonly next: number;
  readonly hasMore: boolean;
  readonly lastSeq: number;
}

export interface PostReadRecord {
  readonly profile: ProfileName;
  readonly channelIndex: number;
  readonly seq: number;
  readonly status: number;
}

export interface SubscribedSocket {
  readonly userId: string;
  readonly profile: ProfileName;
  readonly channelIndexes: readonly number[];
  readonly socket: SoakSocket;
  /** Subscribed with after_seq 0 before the history import, so it must see every readable post. */
  readonly expectsEveryPost: boolean;
}

/** Body tokens look like `secret-2-517`: channel index, then a counter unique in the run. */
export const TOKEN_PATTERN = /secret-\d+-\d+/g;

export function tokenOf(channelIndex: number, counter: number): string {
  return `secret-${channelIndex}-${counter}`;
}

/** Everything the checks read, gathered during and after the run. */
export interface VerificationInput {
  readonly channels: readonly SoakChannel[];
  /** Per channel index: every post in seq order as an admin paged through it, and the channel's last_seq. */
  readonly stored: ReadonlyMap<number, { readonly posts: readonly StoredPost[]; readonly lastSeq: number }>;
  /** Per channel index: every distinct Idempotency-Key acknowledged, with the seq it got. */
  readonly keys: ReadonlyMap<number, ReadonlyMap<string, number>>;
  readonly acknowledged: ReadonlyMap<string, AcknowledgedPost>;
  readonly pages: readonly PageRecord[];
  readonly postReads: readonly PostReadRecord[];
  readonly sockets: readonly SubscribedSocket[];
  /** Tokens found in the response bodies each profile received. */
  readonly tokensSeen: ReadonlyMap<ProfileName, ReadonlySet<string>>;
}

/** Runs every check on the gathered data and adds what fails to `violations`. */
export function verifySoak(input: VerificationInput, violations: ViolationLog): void {
  checkSequences(input, violations);
  checkIdempotency(input, violations);
  checkPages(input, violations);
  checkPostReads(input, violations);
  checkDeltas(input, violations);
  checkLeaks(input, violations);
}

function checkSequences(input: VerificationInput, violations: ViolationLog): void {
  for (const channel of input.channels) {
    const stored = input.stored.get(channel.index)!;
    const seqs = stored.posts.map((post) => post.seq);
    const contiguous = seqs.every((seq, index) => seq === index + 1);
    if (!contiguous) {
      const firstBreak = seqs.findIndex((seq, index) => seq !== index + 1);
      violations.add('contiguous-seq', `channel ${channel.id}: posts are not 1..${stored.lastSeq}; position ${firstBreak + 1} has seq ${seqs[firstBreak]}`);
    }
    if (seqs.length !== stored.lastSeq) violations.add('contiguous-seq', `channel ${channel.id}: ${seqs.length} posts read but last_seq is ${stored.lastSeq}`);
  }
}

function checkIdempotency(input: VerificationInput, violations: ViolationLog): void {
  for (const channel of input.channels) {
    const keys = input.keys.get(channel.index) ?? new Map<string, number>();
    const lastSeq = input.stored.get(channel.index)!.lastSeq;
    if (keys.size !== lastSeq) {
      violations.add('idempotency', `channel ${channel.id}: ${keys.size} distinct Idempotency-Keys acknowledged but last_seq is ${lastSeq}, so a retry made a duplicate or a post appeared without a key`);
    }
    const seqs = [...keys.values()];
    const duplicates = seqs.length - new Set(seqs).size;
    if (duplicates > 0) violations.add('idempotency', `channel ${channel.id}: ${duplicates} seqs were acknowledged for two different Idempotency-Keys`);
  }
}

/** A page covers (cursor, next] ascending or [next, min(cursor - 1, last_seq)] descending, hidden posts included. */
function checkPages(input: VerificationInput, violations: ViolationLog): void {
  for (const page of input.pages) {
    const channel = input.channels[page.channelIndex]!;
    const posts = input.stored.get(page.channelIndex)!.posts;
    const low = page.direction === 'after' ? page.cursor + 1 : page.next;
    const high = page.direction === 'after' ? page.next : Math.min(page.cursor - 1, page.lastSeq);
    const readable = posts.filter((post) => post.seq >= low && post.seq <= high && isReadable(page.profile, channel.policy, post.published_at)).map((post) => post.seq);
    const expected = page.direction === 'after' ? readable : readable.reverse();

    const described = `${page.profile} reader, channel ${channel.id} (${channel.policy}), ${page.direction}_seq=${page.cursor}&limit=${page.limit}`;
    if (JSON.stringify(page.seqs) !== JSON.stringify(expected)) {
      violations.add('feed-pages', `${described}: returned seqs [${page.seqs.join(',')}] but the readable seqs of ${low}..${high} are [${expected.join(',')}]`);
    }
    if (page.hasMore && page.seqs.length !== page.limit) violations.add('feed-pages', `${described}: has_more with ${page.seqs.length} posts, fewer than the limit`);
  }
}

function checkPostReads(input: VerificationInput, violations: ViolationLog): void {
  for (const read of input.postReads) {
    const channel = input.channels[read.channelIndex]!;
    const post = postsBySeq(input, read.channelIndex).get(read.seq);
    // A seq missing from the channel is reported by the sequence check.
    if (!post) continue;
    const readable = isReadable(read.profile, channel.policy, post.published_at);
    const expectedStatus = readable ? 200 : 403;
    if (read.status !== expectedStatus) {
      violations.add('post-reads', `${read.profile} reader, channel ${channel.id} (${channel.policy}), seq ${read.seq} published ${post.published_at}: HTTP ${read.status}, expected ${expectedStatus}`);
    }
  }
}

function checkDeltas(input: VerificationInput, violations: ViolationLog): void {
  for (const subscribed of input.sockets) {
    const described = `${subscribed.profile} socket of ${subscribed.userId}`;
    if (subscribed.socket.unexpectedClose) {
      violations.add('subscriptions', `${described} closed during the run with code ${subscribed.socket.unexpectedClose.code} ${subscribed.socket.unexpectedClose.reason}`);
    }
    for (const frame of subscribed.socket.frames.filter((candidate) => candidate.type === 'unsubscribed' || candidate.type === 'error')) {
      violations.add('subscriptions', `${described} received ${JSON.stringify(frame)}`);
    }

    for (const channelIndex of subscribed.channelIndexes) {
      const channel = input.channels[channelIndex]!;
      const posts = input.stored.get(channelIndex)!.posts;
      const bySeq = postsBySeq(input, channelIndex);
      const frames = subscribed.socket.frames.filter((frame) => frame.channel_id === channel.id && typeof frame.type === 'string' && frame.type.startsWith('post.'));
      const published = new Set(frames.filter((frame) => frame.type === 'post.published').map((frame) => frame.seq as number));

      const hiddenFrames = frames.filter((frame) => {
        const post = bySeq.get(frame.seq as number);
        return post !== undefined && !isReadable(subscribed.profile, channel.policy, post.published_at);
      });
      for (const frame of hiddenFrames) {
        violations.add('deltas-withheld', `${described}, channel ${channel.id} (${channel.policy}): received ${frame.type} for seq ${frame.seq} published ${bySeq.get(frame.seq as number)!.published_at}, outside its windows`);
      }

      if (!subscribed.expectsEveryPost) continue;
      const missing = posts.filter((post) => isReadable(subscribed.profile, channel.policy, post.published_at) && !published.has(post.seq)).map((post) => post.seq);
      if (missing.length > 0) {
        violations.add('deltas-delivered', `${described}, channel ${channel.id} (${channel.policy}): no post.published for ${missing.length} readable seqs, first ${missing.slice(0, 10).join(',')}`);
      }
    }
  }
}

const postIndexes = new WeakMap<readonly StoredPost[], Map<number, StoredPost>>();

/** The channel's stored posts by seq, built once per channel. */
function postsBySeq(input: VerificationInput, channelIndex: number): Map<number, StoredPost> {
  const posts = input.stored.get(channelIndex)!.posts;
  let index = postIndexes.get(posts);
  if (!index) {
    index = new Map(posts.map((post) => [post.seq, post]));
    postIndexes.set(posts, index);
  }
  return index;
}

function checkLeaks(input: VerificationInput, violations: ViolationLog): void {
  for (const subscribed of input.sockets) {
    const leaking = subscribed.socket.rawFrames.filter((text) => text.includes('secret-'));
    if (leaking.length > 0) violations.add('content-leak', `${subscribed.profile} socket of ${subscribed.userId}: ${leaking.length} frames carry post body text, first ${leaking[0]!.slice(0, 200)}`);
  }

  for (const [profile, tokens] of input.tokensSeen) {
    for (const token of tokens) {
      const post = input.acknowledged.get(token);
      if (!post) {
        violations.add('content-leak', `${profile} reader received body token ${token}, which no acknowledged publish or import carried`);
        continue;
      }
      const channel = input.channels[post.channelIndex]!;
      if (!isReadable(profile, channel.policy, post.publishedAt)) {
        violations.add('content-leak', `${profile} reader received the body of channel ${channel.id} (${channel.policy}) seq ${post.seq} published ${post.publishedAt}, outside its windows`);
      }
    }
  }
}

/** The `post.published` frames of a socket and how many of them repeated a dedupe_key already seen. */
export function countPublishedFrames(frames: readonly Frame[]): { readonly frames: number; readonly repeats: number } {
  const published = frames.filter((frame) => frame.type === 'post.published');
  const keys = new Set(published.map((frame) => String(frame.dedupe_key ?? `${frame.channel_id}:${frame.seq}`)));
  return { frames: published.length, repeats: published.length - keys.size };
}
