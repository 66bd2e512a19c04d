import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_TTL_MS } from '../../lambdas/domain/idempotency.js';
import { startTestStack, type TestStack } from '../support/stack.js';

describe('POST /api/admin/channels/{channelId}/posts', () => {
  let stack: TestStack;
  let admin: string;
  let offsetMs = 0;
  let frozenAt: number | undefined;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => frozenAt ?? Date.now() + offsetMs });
    admin = stack.token('admin-1', { admin: true });
  });

  afterAll(async () => {
    await stack.stop();
  });

  async function createChannel(): Promise<string> {
    const response = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Signals' } });
    expect(response.status).toBe(201);
    return response.body.id as string;
  }

  function publish(channelId: string, key: string, bodyText: string) {
    return stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
      token: admin,
      body: { body_text: bodyText },
      headers: { 'idempotency-key': key },
    });
  }

  it('allocates contiguous seq under 50 concurrent publishes', async () => {
    const channelId = await createChannel();

    const responses = await Promise.all(Array.from({ length: 50 }, (_, index) => publish(channelId, `key-${index}`, `post ${index}`)));

    expect(responses.map((response) => response.status), JSON.stringify(responses.find((response) => response.status !== 201)?.body)).toEqual(Array(50).fill(201));
    const seqs = responses.map((response) => response.body.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    const channel = await stack.request('GET', `/api/mobile/channels/${channelId}`, { token: admin });
    expect(channel.body.last_seq).toBe(50);
    const page = await stack.request('GET', `/api/mobile/channels/${channelId}/posts?limit=100`, { token: admin });
    expect(page.body.posts.map((post: { seq: number }) => post.seq)).toEqual(seqs);
    const publishedAt = page.body.posts.map((post: { published_at: string }) => Date.parse(post.published_at));
    expect(publishedAt).toEqual([...publishedAt].sort((a, b) => a - b));
  });

  it('commits one post for 20 concurrent requests with one key', async () => {
    const channelId = await createChannel();

    const responses = await Promise.all(Array.from({ length: 20 }, () => publish(channelId, 'same-key', 'only once')));

    const first = responses[0]!;
    expect(first.status).toBe(201);
    for (const response of responses) {
      expect(response.status).toBe(first.status);
      expect(response.text).toBe(first.text);
    }
    const replayed = responses.filter((response) => response.headers.get('idempotent-replayed') === 'true');
    expect(replayed).toHaveLength(19);
    const page = await stack.request('GET', `/api/mobile/channels/${channelId}/posts`, { token: admin });
    expect(page.body.posts).toHaveLength(1);
    expect(page.body.last_seq).toBe(1);
    expect(page.body.posts[0].id).toBe(first.body.id);
  });

  it('rejects a reused key with another body', async () => {
    const channelId = await createChannel();
    await publish(channelId, 'reused', 'first body');

    const response = await publish(channelId, 'reused', 'second body');

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('idempotency_conflict');
    const channel = await stack.request('GET', `/api/mobile/channels/${channelId}`, { token: admin });
    expect(channel.body.last_seq).toBe(1);
  });

  it('treats a key older than 24 hours as new', async () => {
    const channelId = await createChannel();
    const original = await publish(channelId, 'daily', 'same text');

    offsetMs = IDEMPOTENCY_TTL_MS;
    const later = await publish(channelId, 'daily', 'same text');
    offsetMs = 0;

    expect(original.status).toBe(201);
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(later.body.seq).toBe(2);
    expect(later.body.id).not.toBe(original.body.id);
  });

  it('replays within 24 hours', async () => {
    const channelId = await createChannel();
    frozenAt = Date.now();
    const original = await publish(channelId, 'almost-a-day', 'same text');

    frozenAt += IDEMPOTENCY_TTL_MS - 1;
    const replay = await publish(channelId, 'almost-a-day', 'same text');
    frozenAt = undefined;

    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(original.text);
  });

  it('scopes a key to its channel', async () => {
    const first = await createChannel();
    const second = await createChannel();

    const a = await publish(first, 'shared-key', 'text');
    const b = await publish(second, 'shared-key', 'text');

    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.channel_id).toBe(second);
  });

  it('requires an Idempotency-Key', async () => {
    const channelId = await createChannel();

    const response = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, { token: admin, body: { body_text: 'no key' } });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.message).toMatch(/^Idempotency-Key: /);
  });
});
