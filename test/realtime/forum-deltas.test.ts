import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket, type TestSocket } from '../support/socket.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const OPEN_PERIOD = { periods: [{ start: '2020-01-01T00:00:00Z', end: null }] };
/** Every message frame has exactly these keys: identifiers only. */
const MESSAGE_FRAME_KEYS = ['dedupe_key', 'message_id', 'seq', 'topic_id', 'type'];
/** Marks every title and body the tests write, so a frame that leaks content is found. */
const SECRET = 'secret';
/** Longer than the longest decision lifetime (30 s), so every stored decision has expired after it. */
const DECISION_EXPIRY_MS = 31_000;

interface Topic {
  readonly id: string;
  readonly version: number;
}

interface Message {
  readonly id: string;
  readonly seq: number;
}

describe('forum realtime deltas', () => {
  let stack: TestStack;
  let admin: string;
  // Handlers read time through it; tests move it forward to let time pass.
  let clockOffsetMs = 0;
  const now = (): number => Date.now() + clockOffsetMs;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ clock: now });
    admin = stack.token('admin-1', { admin: true });
  });

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await stack.stop();
  });

  async function createChannel(accessPolicy?: Record<string, unknown>): Promise<string> {
    const body = { title: 'Signals', ...(accessPolicy && { access_policy: accessPolicy }) };
    const response = await stack.request('POST', '/api/admin/channels', { token: admin, body });
    expect(response.status).toBe(201);
    return response.body.id;
  }

  async function grant(channelId: string, userId: string, body: unknown = OPEN_PERIOD): Promise<void> {
    const response = await stack.request('PUT', `/api/admin/access/${channelId}/users/${userId}`, { token: admin, body });
    expect(response.status).toBe(200);
  }

  async function createForum(linkedChannelId?: string): Promise<string> {
    const body = { title: 'Discussion', ...(linkedChannelId && { linked_channel_id: linkedChannelId }) };
    const response = await stack.request('POST', '/api/admin/forums', { token: admin, body });
    expect(response.status).toBe(201);
    return response.body.id;
  }

  /** Creates a topic as the admin; its first message is seq 1. */
  async function createTopic(forumId: string): Promise<{ topic: Topic; message: Message }> {
    const response = await stack.request('POST', `/api/mobile/forums/${forumId}/topics`, { token: admin, body: { title: `${SECRET} title`, body_text: `${SECRET} opening` } });
    expect(response.status).toBe(201);
    return response.body;
  }

  async function postMessage(topicId: string, token = admin): Promise<Message> {
    const response = await stack.request('POST', `/api/mobile/topics/${topicId}/messages`, { token, body: { body_text: `${SECRET} reply` } });
    expect(response.status).toBe(201);
    return response.body;
  }

  async function editMessage(topicId: string, messageId: string, token = admin): Promise<void> {
    const response = await stack.request('PATCH', `/api/mobile/topics/${topicId}/messages/${messageId}`, { token, body: { body_text: `${SECRET} edited` } });
    expect(response.status).toBe(200);
  }

  async function connect(userId: string, roles: { admin?: boolean; moderator?: boolean } = {}): Promise<TestSocket> {
    const socket = await openSocket(stack.url, stack.token(userId, roles));
    sockets.push(socket);
    return socket;
  }

  async function subscribe(socket: TestSocket, topicId: string): Promise<Record<string, any>> {
    return socket.request({ action: 'subscribe', topic_id: topicId, after_seq: 0 }, 'subscribed');
  }

  const messageFrame = (type: string, seq: number) => (frame: Record<string, any>) => frame.type === type && frame.seq === seq;

  /**
   * Returns a socket's frames without the opening message's `message.created`.
   * A subscription stored before the stream reached the topic's first message
   * gets that delta and one stored after it does not. A client tells the two
   * apart by the `last_seq` of its `subscribed` reply.
   */
  const framesAfterOpening = (socket: TestSocket): Record<string, any>[] =>
    socket.frames.filter((frame) => !(frame.type === 'message.created' && frame.seq === 1));

  /** Seqs of the `message.created` frames a socket got after the opening message. */
  const createdSeqs = (socket: TestSocket): number[] => framesAfterOpening(socket).filter((frame) => frame.type === 'message.created').map((frame) => frame.seq);

  it('sends message created, updated and deleted as identifiers only', async () => {
    const forumId = await createForum();
    const { topic } = await createTopic(forumId);
    const author = stack.token('member-a');
    const socket = await connect('member-a');
    const subscribed = await subscribe(socket, topic.id);

    const message = await postMessage(topic.id, author);
    const created = await socket.waitFor(messageFrame('message.created', message.seq));
    await editMessage(topic.id, message.id, author);
    const updated = await socket.waitFor(messageFrame('message.updated', message.seq));
    const removal = await stack.request('DELETE', `/api/mobile/topics/${topic.id}/messages/${message.id}`, { token: author });
    const deleted = await socket.waitFor(messageFrame('message.deleted', message.seq));

    expect(removal.status).toBe(200);
    expect(subscribed).toEqual({ type: 'subscribed', topic_id: topic.id, last_seq: 1 });
    expect(created).toEqual({ type: 'message.created', topic_id: topic.id, seq: 2, message_id: message.id, dedupe_key: `${topic.id}:2:1` });
    expect(updated).toEqual({ type: 'message.updated', topic_id: topic.id, seq: 2, message_id: message.id, dedupe_key: `${topic.id}:2:2` });
    // The delete bumps the version too, so its dedupe key differs from the edit's.
    expect(deleted).toEqual({ type: 'message.deleted', topic_id: topic.id, seq: 2, message_id: message.id, dedupe_key: `${topic.id}:2:3` });
    const messageFrames = socket.frames.filter((frame) => String(frame.type).startsWith('message.'));
    expect(messageFrames.length).toBeGreaterThanOrEqual(3);
    expect(messageFrames.map((frame) => Object.keys(frame).sort())).toEqual(messageFrames.map(() => MESSAGE_FRAME_KEYS));
    expect(JSON.stringify(socket.frames)).not.toContain(SECRET);
  });

  it('publishes integration events for messages', async () => {
    const forumId = await createForum();
    const { topic, message } = await createTopic(forumId);
    const watcher = await connect('events-watcher');
    await subscribe(watcher, topic.id);

    const reply = await postMessage(topic.id);
    await watcher.waitFor(messageFrame('message.created', reply.seq));

    const events = stack.integrationEvents.events.filter((event) => event.detail.topic_id === topic.id);
    expect(events).toEqual([
      { detailType: 'message.created', detail: { type: 'message.created', topic_id: topic.id, seq: 1, message_id: message.id, dedupe_key: `${topic.id}:1:1`, version: 1 } },
      { detailType: 'message.created', detail: { type: 'message.created', topic_id: topic.id, seq: 2, message_id: reply.id, dedupe_key: `${topic.id}:2:1`, version: 1 } },
    ]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it('sends topic.updated on lock, and nothing for a new message', async () => {
    const forumId = await createForum();
    const { topic } = await createTopic(forumId);
    const socket = await connect('lock-watcher');
    await subscribe(socket, topic.id);
    const moderator = stack.token('mod-1', { moderator: true });

    const reply = await postMessage(topic.id);
    await socket.waitFor(messageFrame('message.created', reply.seq));
    const lock = await stack.request('PUT', `/api/admin/topics/${topic.id}/lock`, { token: moderator, body: { locked: true } });
    const updated = await socket.waitFor((frame) => frame.type === 'topic.updated');
    const locked: Topic = (await stack.request('GET', `/api/mobile/topics/${topic.id}`, { token: admin })).body;

    expect(lock.status).toBe(200);
    expect(locked.version).toBeGreaterThan(topic.version);
    expect(updated).toEqual({ type: 'topic.updated', topic_id: topic.id, forum_id: forumId, version: locked.version, dedupe_key: `${topic.id}:${locked.version}` });
    // The reply also rewrote the topic (counter, activity) before the lock,
    // and the topics stream is ordered, so a delta for it would be here by now.
    expect(framesAfterOpening(socket).map((frame) => frame.type)).toEqual(['subscribed', 'message.created', 'topic.updated']);
    expect(JSON.stringify(socket.frames)).not.toContain(SECRET);
  });

  it("withholds messages outside a linked reader's windows", async () => {
    const channelId = await createChannel();
    const forumId = await createForum(channelId);
    await grant(channelId, 'full-reader');
    const { topic, message: opening } = await createTopic(forumId);
    // The archive ends after the topic was created and before the new messages.
    await grant(channelId, 'lapsed-reader', { periods: [{ start: '2020-01-01T00:00:00Z', end: new Date(now()).toISOString() }] });
    clockOffsetMs += 1_000;
    const full = await connect('full-reader');
    const lapsed = await connect('lapsed-reader');
    await subscribe(full, topic.id);
    const lapsedSubscribed = await subscribe(lapsed, topic.id);

    const fresh = await postMessage(topic.id, stack.token('full-reader'));
    await editMessage(topic.id, opening.id);
    await full.waitFor(messageFrame('message.created', fresh.seq));
    await full.waitFor(messageFrame('message.updated', opening.seq));
    const archivedEdit = await lapsed.waitFor(messageFrame('message.updated', opening.seq));

    expect(lapsedSubscribed).toEqual({ type: 'subscribed', topic_id: topic.id, last_seq: 1 });
    expect(archivedEdit).toEqual({ type: 'message.updated', topic_id: topic.id, seq: 1, message_id: opening.id, dedupe_key: `${topic.id}:1:2` });
    expect(createdSeqs(full)).toEqual([fresh.seq]);
    // The fresh message precedes the edit in the ordered stream, so it would have arrived first.
    expect(lapsed.frames.filter((frame) => frame.seq === fresh.seq)).toEqual([]);
  });

  it('refuses a denied reader and sends it nothing', async () => {
    const channelId = await createChannel();
    const forumId = await createForum(channelId);
    const { topic } = await createTopic(forumId);
    const outsider = await connect('outsider');
    const watcher = await connect('forum-admin', { admin: true });
    await subscribe(watcher, topic.id);

    const rejection = await subscribe(outsider, topic.id);
    const reply = await postMessage(topic.id);
    await watcher.waitFor(messageFrame('message.created', reply.seq));
    const pong = await outsider.request({ action: 'ping' }, 'pong');

    expect(rejection).toEqual({ type: 'error', code: 'forbidden', message: `You have no read access to forum ${forumId}` });
    expect(pong).toEqual({ type: 'pong' });
    expect(outsider.frames.map((frame) => frame.type)).toEqual(['error', 'pong']);
  });

  it.each([
    {
      case: 'both ids',
      message: { action: 'subscribe', channel_id: 'ch_1', topic_id: 't_0123456789abcdef' },
      error: 'topic_id: cannot be sent with channel_id: send one channel or one topic per message',
    },
    {
      case: 'neither id',
      message: { action: 'subscribe', after_seq: 0 },
      error: 'channel_id: is missing: send channel_id to follow a channel or topic_id to follow a topic',
    },
    { case: 'a malformed topic id', message: { action: 'subscribe', topic_id: 'not-a-topic' }, error: 'topic_id: must be a topic id' },
    {
      case: 'both ids to unsubscribe',
      message: { action: 'unsubscribe', channel_id: 'ch_1', topic_id: 't_0123456789abcdef' },
      error: 'topic_id: cannot be sent with channel_id: send one channel or one topic per message',
    },
  ])('rejects a subscription message with $case', async ({ message, error }) => {
    const socket = await connect('careless');

    const reply = await socket.request(message, 'no reply but the error');

    expect(reply).toEqual({ type: 'error', code: 'invalid_request', message: error });
  });

  it('answers subscribe to an unknown topic with not_found', async () => {
    const socket = await connect('lost');

    const reply = await subscribe(socket, 't_0000000000000000');

    expect(reply).toEqual({ type: 'error', code: 'not_found', message: 'Topic t_0000000000000000 does not exist' });
  });

  it('confirms a topic unsubscribe and stops deltas', async () => {
    const forumId = await createForum();
    const { topic } = await createTopic(forumId);
    const leaving = await connect('unsubscriber');
    const witness = await connect('witness');
    await subscribe(leaving, topic.id);
    await subscribe(witness, topic.id);

    const confirmation = await leaving.request({ action: 'unsubscribe', topic_id: topic.id }, 'unsubscribed');
    const reply = await postMessage(topic.id);
    await witness.waitFor(messageFrame('message.created', reply.seq));

    expect(confirmation).toEqual({ type: 'unsubscribed', topic_id: topic.id, reason: 'requested' });
    expect(createdSeqs(leaving)).toEqual([]);
  });

  it('re-checks an expired decision and unsubscribes a reader who lost access', async () => {
    const channelId = await createChannel({ initial_backfill_days: null, resubscribe_backfill_days: 0, keep_archive_after_lapse: false });
    const forumId = await createForum(channelId);
    const periodEnd = now() + 60_000;
    await grant(channelId, 'leaving-reader', { periods: [{ start: '2020-01-01T00:00:00Z', end: new Date(periodEnd).toISOString() }] });
    await grant(channelId, 'staying-reader');
    const { topic } = await createTopic(forumId);
    const leaving = await connect('leaving-reader');
    const staying = await connect('staying-reader');
    // A moderator has no periods: the re-check must know the role to keep it.
    const moderator = await connect('topic-moderator', { moderator: true });
    for (const socket of [leaving, staying, moderator]) await subscribe(socket, topic.id);
    const before = await postMessage(topic.id);
    await leaving.waitFor(messageFrame('message.created', before.seq));

    // The period ends with no admin change, so only the stored decision's
    // expiry makes delivery ask the provider again.
    clockOffsetMs += periodEnd - now() + DECISION_EXPIRY_MS;
    const afterLoss = await postMessage(topic.id);
    const unsubscribed = await leaving.waitFor((frame) => frame.type === 'unsubscribed');
    const later = await postMessage(topic.id);
    await staying.waitFor(messageFrame('message.created', later.seq));
    await moderator.waitFor(messageFrame('message.created', later.seq));

    expect(unsubscribed).toEqual({ type: 'unsubscribed', topic_id: topic.id, reason: 'access_denied' });
    expect(createdSeqs(leaving)).toEqual([before.seq]);
    expect(createdSeqs(staying)).toEqual([before.seq, afterLoss.seq, later.seq]);
    expect(createdSeqs(moderator)).toEqual([before.seq, afterLoss.seq, later.seq]);
  });

  it('unsubscribes a linked reader at once when periods are rewritten', async () => {
    const channelId = await createChannel();
    const forumId = await createForum(channelId);
    await grant(channelId, 'revoked-reader');
    await grant(channelId, 'remaining-reader');
    const { topic } = await createTopic(forumId);
    const revoked = await connect('revoked-reader');
    const remaining = await connect('remaining-reader');
    for (const socket of [revoked, remaining]) await subscribe(socket, topic.id);
    const before = await postMessage(topic.id);
    await revoked.waitFor(messageFrame('message.created', before.seq));

    // No time passes: the rewrite itself must expire the topic subscription's decision.
    await grant(channelId, 'revoked-reader', { periods: [] });
    const afterLoss = await postMessage(topic.id);
    const unsubscribed = await revoked.waitFor((frame) => frame.type === 'unsubscribed');
    await remaining.waitFor(messageFrame('message.created', afterLoss.seq));

    expect(unsubscribed).toEqual({ type: 'unsubscribed', topic_id: topic.id, reason: 'access_denied' });
    expect(createdSeqs(revoked)).toEqual([before.seq]);
    expect(createdSeqs(remaining)).toEqual([before.seq, afterLoss.seq]);
  });
});
