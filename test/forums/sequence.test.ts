import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type ApiResult, type TestStack } from '../support/stack.js';
import { forumApi, NO_RATE_LIMIT, nextWholeHour, SECOND_MS, type ForumApi, type MessageBody } from './forum-api.js';

describe('forum message sequence and idempotency', () => {
  let stack: TestStack;
  let api: ForumApi;
  let admin: string;
  let forumId: string;
  let now = nextWholeHour();

  beforeAll(async () => {
    // One user sends 20 retries at once below; the rate limit has its own tests.
    stack = await startTestStack({ clock: () => now, environment: NO_RATE_LIMIT });
    api = forumApi(stack);
    admin = stack.token('admin-1', { admin: true });
    forumId = await api.createForum(admin, { title: 'Open forum' });
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('gives 30 concurrent replies seq 2..31', async () => {
    const { topic, message: first } = await api.createTopic(admin, forumId, { title: 'Busy thread' });
    now += SECOND_MS;

    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, index) => api.postMessage(stack.token(`replier-${index}`), topic.id, `reply ${index}`)),
    );

    expect(first.seq).toBe(1);
    const failed = responses.find((response) => response.status !== 201);
    expect(responses.map((response) => response.status), failed?.text).toEqual(Array(30).fill(201));
    const replySeqs = responses.map((response) => response.body.seq as number).sort((a, b) => a - b);
    expect(replySeqs).toEqual(Array.from({ length: 30 }, (_, index) => index + 2));
    const messages = await api.allMessages(admin, topic.id, 7);
    expect(messages.map((message) => message.seq)).toEqual(Array.from({ length: 31 }, (_, index) => index + 1));
    expect(new Set(messages.map((message) => message.id)).size).toBe(31);
    const bodyBySeq = new Map(responses.map((response) => [response.body.seq as number, response.body.body_text as string]));
    expect(messages.slice(1).map((message) => message.body_text)).toEqual(replySeqs.map((seq) => bodyBySeq.get(seq)));
    const createdAt = messages.map((message) => Date.parse(message.created_at));
    expect(createdAt).toEqual([...createdAt].sort((a, b) => a - b));
    const after = await api.getTopic(admin, topic.id);
    expect(after.last_seq).toBe(31);
    expect(after.message_count).toBe(31);
  });

  it('commits one message for 20 retries', async () => {
    const { topic } = await api.createTopic(admin, forumId, { title: 'Retries' });
    const bob = stack.token('bob');

    const responses = await Promise.all(Array.from({ length: 20 }, () => api.postMessage(bob, topic.id, 'sent once', 'retry-key')));

    const first = responses[0]!;
    expect(first.status, first.text).toBe(201);
    for (const response of responses) {
      expect(response.status).toBe(201);
      expect(response.text).toBe(first.text);
    }
    const replayed = responses.filter((response) => response.headers.get('idempotent-replayed') === 'true');
    expect(replayed).toHaveLength(19);
    expect(first.body.seq).toBe(2);
    const messages = await api.allMessages(admin, topic.id);
    expect(messages.map((message) => message.seq)).toEqual([1, 2]);
    expect(messages[1]).toEqual(first.body);
    expect((await api.getTopic(admin, topic.id)).message_count).toBe(2);
  });

  it('replays a sequential retry', async () => {
    const { topic } = await api.createTopic(admin, forumId, { title: 'Sequential retry' });
    const carol = stack.token('carol');
    const original = await api.postMessage(carol, topic.id, 'hello', 'carol-key');
    now += SECOND_MS;

    const retry = await api.postMessage(carol, topic.id, 'hello', 'carol-key');

    expect(original.status).toBe(201);
    expect(original.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(original.text);
    expect((await api.getTopic(admin, topic.id)).last_seq).toBe(2);
  });

  it('rejects a reused key with another body', async () => {
    const { topic } = await api.createTopic(admin, forumId, { title: 'Conflict' });
    const dave = stack.token('dave');
    const original = await api.postMessage(dave, topic.id, 'first body', 'dave-key');

    const response = await api.postMessage(dave, topic.id, 'second body', 'dave-key');

    expect(original.status).toBe(201);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('idempotency_conflict');
    const messages = await api.allMessages(admin, topic.id);
    expect(messages.map((message) => message.body_text)).toEqual(['Opening message', 'first body']);
  });

  it('scopes a key to the caller and the topic', async () => {
    const { topic: first } = await api.createTopic(admin, forumId, { title: 'Scope one' });
    const { topic: second } = await api.createTopic(admin, forumId, { title: 'Scope two' });
    const erin = stack.token('erin');
    const frank = stack.token('frank');

    const erinFirst = await api.postMessage(erin, first.id, 'same text', 'shared-key');
    const erinSecond = await api.postMessage(erin, second.id, 'same text', 'shared-key');
    const frankFirst = await api.postMessage(frank, first.id, 'same text', 'shared-key');

    for (const response of [erinFirst, erinSecond, frankFirst]) {
      expect(response.status, response.text).toBe(201);
      expect(response.headers.get('idempotent-replayed')).toBeNull();
    }
    expect([erinFirst.body.seq, frankFirst.body.seq].sort()).toEqual([2, 3]);
    expect(erinSecond.body.topic_id).toBe(second.id);
    expect(erinSecond.body.seq).toBe(2);
  });

  it('replays a retry after a lock', async () => {
    const { topic } = await api.createTopic(admin, forumId, { title: 'Locked later' });
    const hank = stack.token('hank');
    const original = await api.postMessage(hank, topic.id, 'just in time', 'hank-key');
    const locked = await stack.request('PUT', `/api/admin/topics/${topic.id}/lock`, { token: admin, body: { locked: true } });

    const retry = await api.postMessage(hank, topic.id, 'just in time', 'hank-key');
    const fresh = await api.postMessage(hank, topic.id, 'too late', 'hank-other-key');

    expect(original.status).toBe(201);
    expect(locked.status).toBe(200);
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(original.text);
    expect(fresh.status).toBe(409);
  });

  it('replays a topic after post deletion', async () => {
    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Signals' } });
    const post = await stack.request('POST', `/api/admin/channels/${channel.body.id}/posts`, {
      token: admin,
      body: { body_text: 'Buy ACME' },
      headers: { 'idempotency-key': 'discussed' },
    });
    const linkedForumId = await api.createForum(admin, { title: 'Signal talk', linked_channel_id: channel.body.id });
    const createWithKey = (): Promise<ApiResult> =>
      stack.request('POST', `/api/mobile/forums/${linkedForumId}/topics`, {
        token: admin,
        body: { title: 'About ACME', body_text: 'thoughts?', post_id: post.body.id },
        headers: { 'idempotency-key': 'discuss-key' },
      });
    const original = await createWithKey();
    const deleted = await stack.request('DELETE', `/api/admin/channels/${channel.body.id}/posts/${post.body.id}`, { token: admin });

    const retry = await createWithKey();

    expect(original.status, original.text).toBe(201);
    expect(deleted.status).toBe(200);
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(original.text);
  });

  it('creates one topic for 10 retries', async () => {
    const grace = stack.token('grace');
    const createWithKey = (): Promise<ApiResult> =>
      stack.request('POST', `/api/mobile/forums/${forumId}/topics`, {
        token: grace,
        body: { title: 'Only once', body_text: 'opening' },
        headers: { 'idempotency-key': 'topic-key' },
      });

    const responses = await Promise.all(Array.from({ length: 10 }, createWithKey));
    const conflict = await stack.request('POST', `/api/mobile/forums/${forumId}/topics`, {
      token: grace,
      body: { title: 'Another title', body_text: 'opening' },
      headers: { 'idempotency-key': 'topic-key' },
    });

    const first = responses[0]!;
    expect(first.status, first.text).toBe(201);
    for (const response of responses) expect(response.text).toBe(first.text);
    expect(responses.filter((response) => response.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(first.body.topic.last_seq).toBe(1);
    expect((first.body.message as MessageBody).seq).toBe(1);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    const listed = await stack.request('GET', `/api/mobile/forums/${forumId}/topics?limit=100`, { token: grace });
    expect(listed.status).toBe(200);
    const titles = listed.body.topics.map((topic: { title: string }) => topic.title);
    expect(titles.filter((title: string) => title === 'Only once')).toHaveLength(1);
    expect(titles).not.toContain('Another title');
  });
});
