import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

describe('realtime delivery through the local stack', () => {
  let stack: TestStack;
  let admin: string;
  let channelId: string;

  beforeAll(async () => {
    stack = await startTestStack({ streamPolling: { pollIntervalMs: 20 } });
    admin = stack.token('admin-1', { admin: true });
    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Signals' } });
    expect(channel.status).toBe(201);
    channelId = channel.body.id;
    const access = await stack.request('PUT', `/api/admin/access/${channelId}/users/reader-1`, {
      token: admin,
      body: { periods: [{ start: '2020-01-01T00:00:00Z', end: null }] },
    });
    expect(access.status).toBe(200);
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('pushes a published post to a subscribed socket', async () => {
    const socket = await stack.openSocket({ token: stack.token('reader-1'), tokenIn: 'query' });
    socket.send({ action: 'subscribe', channel_id: channelId, after_seq: 0 });
    expect(await socket.nextFrame()).toEqual({ type: 'subscribed', channel_id: channelId, last_seq: 0 });

    const published = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
      token: admin,
      body: { body_text: 'Buy the dip' },
      headers: { 'idempotency-key': 'realtime-1' },
    });

    expect(published.status).toBe(201);
    const postId = published.body.id as string;
    expect(await socket.nextFrame()).toEqual({ type: 'post.published', channel_id: channelId, seq: 1, post_id: postId, dedupe_key: `${channelId}:1:1` });
    await waitFor(() => stack.integrationEvents.events.length === 1, { description: 'the integration event' });
    expect(stack.integrationEvents.events).toEqual([
      {
        detailType: 'post.published',
        detail: { type: 'post.published', channel_id: channelId, seq: 1, post_id: postId, version: 1, dedupe_key: `${channelId}:1:1` },
      },
    ]);
    expect(stack.deadLetters).toEqual([]);
    await socket.close();
  });

  it('confirms unsubscribe and stops deltas', async () => {
    const socket = await stack.openSocket({ token: stack.token('reader-1') });
    // A second subscriber receives the delta, which shows the stream record has been delivered.
    const witness = await stack.openSocket({ token: stack.token('reader-1') });
    for (const subscriber of [socket, witness]) {
      subscriber.send({ action: 'subscribe', channel_id: channelId });
      expect((await subscriber.nextFrame()).type).toBe('subscribed');
    }

    socket.send({ action: 'unsubscribe', channel_id: channelId });

    expect(await socket.nextFrame()).toEqual({ type: 'unsubscribed', channel_id: channelId, reason: 'requested' });
    const published = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
      token: admin,
      body: { body_text: 'After unsubscribe' },
      headers: { 'idempotency-key': 'realtime-2' },
    });
    expect(published.status).toBe(201);
    expect(await witness.nextFrame()).toEqual({ type: 'post.published', channel_id: channelId, seq: published.body.seq, post_id: published.body.id, dedupe_key: `${channelId}:${published.body.seq}:1` });
    socket.send({ action: 'ping' });
    expect(await socket.nextFrame()).toEqual({ type: 'pong' });
    await Promise.all([socket.close(), witness.close()]);
  });

  it('answers subscribe to an unknown channel with not_found', async () => {
    const socket = await stack.openSocket({ token: stack.token('reader-1') });

    socket.send({ action: 'subscribe', channel_id: 'no-such-channel' });

    expect(await socket.nextFrame()).toEqual({ type: 'error', code: 'not_found', message: 'Channel no-such-channel does not exist' });
    await socket.close();
  });
});
