/**
 * Test data for the restore drill, written through the local HTTP API so
 * every table contains what the handlers write: channels with counters, posts
 * (imported ones without an Idempotency-Key, published ones with one), an
 * edit, tombstones, idempotency and audit records, and access periods. Each
 * channel also gets a linked forum with a topic, replies, a deleted reply and
 * a mute, so the forum tables are exported and restored too.
 */

/** Response of one request to the local HTTP API. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: any;
}

/** A request the drill sends again after the restore, with the response it first got. */
export interface RecordedRequest {
  readonly method: 'POST';
  readonly path: string;
  readonly idempotencyKey: string;
  readonly body: unknown;
  readonly status: number;
  readonly text: string;
}

export interface SeededChannel {
  readonly channelId: string;
  /** The topic in the channel's linked forum, and its last message seq. */
  readonly topicId: string;
  readonly topicLastSeq: number;
  readonly lastSeq: number;
  /** Seqs of the tombstones. */
  readonly deletedSeqs: readonly number[];
  /** Post ids by seq. */
  readonly postIds: ReadonlyMap<number, string>;
}

export interface SeedResult {
  readonly channels: readonly SeededChannel[];
  /** The last keyed publish of the first channel. */
  readonly replayCandidate: RecordedRequest;
}

export interface SeedOptions {
  readonly channels: number;
  readonly postsPerChannel: number;
}

/** The first posts of each channel go in through the import route, which does not require an Idempotency-Key. */
const IMPORTED_POSTS = 3;
/** Every post whose seq is a multiple of this is deleted, leaving a tombstone. */
const DELETE_EVERY = 7;
/** Imported posts are dated this far back, one second apart, so they stay before the published ones. */
const IMPORT_AGE_MS = 60 * 60 * 1000;
/** Replies to each channel's forum topic, after its first message. */
const REPLIES_PER_TOPIC = 8;

/** The user id the drill's requests run as; the idempotency scope includes it. */
export const DRILL_ADMIN_ID = 'drill-admin';

/** Sends JSON requests to the local HTTP API with one bearer token. */
export class DrillApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text === '' ? undefined : JSON.parse(text) };
  }

  /** Sends a request and throws unless the status is `expected`. */
  async expect(expected: number, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    const response = await this.request(method, path, body, headers);
    if (response.status !== expected) {
      throw new Error(`Seeding the restore drill failed: ${method} ${path} returned ${response.status}, expected ${expected}. Response: ${response.text.slice(0, 500)}`);
    }
    return response;
  }
}

/** Creates the channels and their posts, edits, tombstones and access periods. Channels are seeded in parallel. */
export async function seedDrillData(api: DrillApi, options: SeedOptions): Promise<SeedResult> {
  const seeded = await Promise.all(Array.from({ length: options.channels }, (_, index) => seedChannel(api, index, options.postsPerChannel)));
  const first = seeded[0];
  if (!first) throw new Error('Seeding the restore drill failed: at least one channel is needed');
  return { channels: seeded.map((entry) => entry.channel), replayCandidate: first.lastKeyedPublish };
}

async function seedChannel(api: DrillApi, index: number, postsPerChannel: number): Promise<{ channel: SeededChannel; lastKeyedPublish: RecordedRequest }> {
  const created = await api.expect(201, 'POST', '/api/admin/channels', { title: `Drill channel ${index}` }, { 'idempotency-key': `drill-channel-${index}` });
  const channelId = created.body.id as string;
  const postIds = new Map<number, string>();
  let lastKeyedPublish: RecordedRequest | undefined;

  const importedFrom = Date.now() - IMPORT_AGE_MS;
  for (let number = 1; number <= postsPerChannel; number += 1) {
    let response: ApiResponse;
    if (number <= IMPORTED_POSTS) {
      const publishedAt = new Date(importedFrom + number * 1000).toISOString();
      response = await api.expect(201, 'POST', `/api/admin/channels/${channelId}/posts/import`, { body_text: `Imported post ${number} of drill channel ${index}`, published_at: publishedAt });
    } else {
      const path = `/api/admin/channels/${channelId}/posts`;
      const idempotencyKey = `drill-${index}-${number}`;
      const body = { body_text: `Post ${number} of drill channel ${index}` };
      response = await api.expect(201, 'POST', path, body, { 'idempotency-key': idempotencyKey });
      lastKeyedPublish = { method: 'POST', path, idempotencyKey, body, status: response.status, text: response.text };
    }
    postIds.set(response.body.seq as number, response.body.id as string);
  }
  if (!lastKeyedPublish) {
    throw new Error(`Seeding the restore drill failed: channel ${channelId} needs more than ${IMPORTED_POSTS} posts so that one is published with an Idempotency-Key`);
  }

  const editedSeq = Math.min(2, postsPerChannel);
  await api.expect(200, 'PATCH', `/api/admin/channels/${channelId}/posts/${postIds.get(editedSeq)}`, { body_text: `Edited post ${editedSeq} of drill channel ${index}` });

  const deletedSeqs = [...postIds.keys()].filter((seq) => seq % DELETE_EVERY === 0);
  for (const seq of deletedSeqs) await api.expect(200, 'DELETE', `/api/admin/channels/${channelId}/posts/${postIds.get(seq)}`);

  const now = Date.now();
  await api.expect(200, 'PUT', `/api/admin/access/${channelId}/users/reader-${index}-current`, { periods: [{ start: new Date(now - IMPORT_AGE_MS).toISOString(), end: null }] });
  await api.expect(200, 'PUT', `/api/admin/access/${channelId}/users/reader-${index}-lapsed`, {
    periods: [{ start: new Date(now - 2 * IMPORT_AGE_MS).toISOString(), end: new Date(now - IMPORT_AGE_MS / 2).toISOString() }],
  });

  const { topicId, topicLastSeq } = await seedForum(api, index, channelId, now);
  return { channel: { channelId, topicId, topicLastSeq, lastSeq: postsPerChannel, deletedSeqs, postIds }, lastKeyedPublish };
}

/** Creates a forum linked to the channel with one topic, keyed replies, a tombstone and a mute. */
async function seedForum(api: DrillApi, index: number, channelId: string, now: number): Promise<{ topicId: string; topicLastSeq: number }> {
  const forum = await api.expect(201, 'POST', '/api/admin/forums', { title: `Drill forum ${index}`, linked_channel_id: channelId });
  const forumId = forum.body.id as string;
  const topic = await api.expect(201, 'POST', `/api/mobile/forums/${forumId}/topics`, { title: `Drill topic ${index}`, body_text: 'Opening message' });
  const topicId = topic.body.topic.id as string;

  const messageIds: string[] = [];
  for (let number = 1; number <= REPLIES_PER_TOPIC; number += 1) {
    const reply = await api.expect(201, 'POST', `/api/mobile/topics/${topicId}/messages`, { body_text: `Reply ${number} in drill topic ${index}` }, { 'idempotency-key': `drill-reply-${index}-${number}` });
    messageIds.push(reply.body.id as string);
  }
  await api.expect(200, 'DELETE', `/api/mobile/topics/${topicId}/messages/${messageIds[0]}`);
  await api.expect(200, 'PUT', `/api/admin/forums/${forumId}/mutes/reader-${index}-current`, { until: new Date(now + IMPORT_AGE_MS).toISOString(), reason: 'drill' });
  return { topicId, topicLastSeq: 1 + REPLIES_PER_TOPIC };
}
