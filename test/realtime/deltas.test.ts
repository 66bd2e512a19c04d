import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshakeStatus, openSocket, type TestSocket } from '../support/socket.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const OPEN_PERIOD = { periods: [{ start: '2020-01-01T00:00:00Z', end: null }] };

describe('realtime deltas', () => {
  let stack: TestStack;
  let admin: string;
  let channelId: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    admin = stack.token('admin-1', { admin: true });
    channelId = await createChannel();
  });

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await stack.stop();
  });

  async function createChannel(): Promise<string> {
    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Live' } });
    return channel.body.id;
  }

  async function grant(channel: string, userId: string, body: unknown = OPEN_PERIOD): Promise<void> {
    const response = await stack.request('PUT', `/api/admin/access/${channel}/users/${userId}`, { token: admin, body });
    expect(response.status).toBe(200);
  }

  let keyCounter = 0;
  async function publish(channel: string, bodyText = 'signal'): Promise<{ id: string; seq: number }> {
    keyCounter += 1;
    const response = await stack.request('POST', `/api/admin/channels/${channel}/posts`, {
      token: admin,
      body: { body_text: bodyText },
      headers: { 'idempotency-key': `delta-${keyCounter}` },
    });
    expect(response.status).toBe(201);
    return response.body;
  }

  async function connect(userId: string): Promise<TestSocket> {
    const socket = await openSocket(stack.url, stack.token(userId));
    sockets.push(socket);
    return socket;
  }

  async function subscribe(socket: TestSocket, channel: string): Promise<Record<string, any>> {
    return socket.request({ action: 'subscribe', channel_id: channel, after_seq: 0 }, 'subscribed');
  }

  const publishedFrame = (channel: string, seq: number) => (frame: Record<string, any>) =>
    frame.type === 'post.published' && frame.channel_id === channel && frame.seq === seq;

  it('sends publish, edit and delete as identifiers only', async () => {
    const channel = await createChannel();
    await grant(channel, 'reader-a');
    const socket = await connect('reader-a');
    const subscribed = await subscribe(socket, channel);

    const post = await publish(channel, 'secret body text');
    const published = await socket.waitFor((frame) => frame.type === 'post.published');
    await stack.request('PATCH', `/api/admin/channels/${channel}/posts/${post.id}`, { token: admin, body: { body_text: 'edited secret' } });
    const updated = await socket.waitFor((frame) => frame.type === 'post.updated');
    await stack.request('DELETE', `/api/admin/channels/${channel}/posts/${post.id}`, { token: admin });
    const deleted = await socket.waitFor((frame) => frame.type === 'post.deleted');

    expect(subscribed).toEqual({ type: 'subscribed', channel_id: channel, last_seq: 0 });
    expect(published).toEqual({ type: 'post.published', channel_id: channel, seq: 1, post_id: post.id, dedupe_key: `${channel}:1:1` });
    expect(updated).toEqual({ type: 'post.updated', channel_id: channel, seq: 1, post_id: post.id, dedupe_key: `${channel}:1:2` });
    expect(deleted).toEqual({ type: 'post.deleted', channel_id: channel, seq: 1, post_id: post.id, dedupe_key: `${channel}:1:3` });
    expect(JSON.stringify(socket.frames)).not.toContain('secret');
  });

  it('answers ping with pong', async () => {
    const socket = await connect('reader-ping');

    const pong = await socket.request({ action: 'ping' }, 'pong');

    expect(pong).toEqual({ type: 'pong' });
  });

  it('rejects a handshake without a valid token', async () => {
    const url = `${stack.url.replace(/^http/, 'ws')}/ws`;

    const missing = await handshakeStatus(url);
    const forged = await handshakeStatus(url, { authorization: 'Bearer not.a.token' });
    const valid = await handshakeStatus(`${url}?token=${stack.token('browser-user')}`);

    expect(missing).toBe(401);
    expect(forged).toBe(401);
    expect(valid).toBe(101);
  });

  it('refuses a denied subscriber and sends it nothing', async () => {
    const socket = await connect('no-periods');
    const watcher = await connect('admin-watcher');
    await grant(channelId, 'admin-watcher');
    await subscribe(watcher, channelId);

    const refusal = await socket.request({ action: 'subscribe', channel_id: channelId }, 'subscribed');
    const post = await publish(channelId);
    await watcher.waitFor(publishedFrame(channelId, post.seq));
    const pong = await socket.request({ action: 'ping' }, 'pong');

    expect(refusal).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(pong).toEqual({ type: 'pong' });
    expect(socket.frames.map((frame) => frame.type)).toEqual(['error', 'pong']);
  });

  it('withholds posts outside the windows', async () => {
    const channel = await createChannel();
    const old = await stack.request('POST', `/api/admin/channels/${channel}/posts/import`, {
      token: admin,
      body: { body_text: 'archived', published_at: '2025-06-15T12:00:00Z' },
    });
    await grant(channel, 'lapsed', { periods: [{ start: '2025-06-01T00:00:00Z', end: '2025-06-30T23:59:59.999Z' }] });
    const socket = await connect('lapsed');
    const subscribed = await subscribe(socket, channel);

    const fresh = await publish(channel, 'after the lapse');
    await stack.request('PATCH', `/api/admin/channels/${channel}/posts/${old.body.id}`, { token: admin, body: { body_text: 'archived, corrected' } });
    const edit = await socket.waitFor((frame) => frame.type === 'post.updated');

    expect(subscribed).toEqual({ type: 'subscribed', channel_id: channel, last_seq: 1 });
    expect(edit).toEqual({ type: 'post.updated', channel_id: channel, seq: 1, post_id: old.body.id, dedupe_key: `${channel}:1:2` });
    expect(socket.frames.filter((frame) => frame.seq === fresh.seq)).toEqual([]);
  });

  it('unsubscribes a reader whose access ends', async () => {
    const channel = await createChannel();
    await grant(channel, 'ending');
    await grant(channel, 'staying');
    const ending = await connect('ending');
    const staying = await connect('staying');
    await subscribe(ending, channel);
    await subscribe(staying, channel);
    const before = await publish(channel);
    await ending.waitFor(publishedFrame(channel, before.seq));

    await grant(channel, 'ending', { periods: [{ start: '2020-01-01T00:00:00Z', end: new Date().toISOString() }] });
    const afterEnd = await publish(channel);
    const unsubscribed = await ending.waitFor((frame) => frame.type === 'unsubscribed');
    const later = await publish(channel);
    await staying.waitFor(publishedFrame(channel, later.seq));

    expect(unsubscribed).toEqual({ type: 'unsubscribed', channel_id: channel, reason: 'access_ended' });
    const deliveredToEnding = ending.frames.filter((frame) => frame.type === 'post.published').map((frame) => frame.seq);
    expect(deliveredToEnding).toEqual([before.seq]);
    expect(staying.frames.filter((frame) => frame.type === 'post.published').map((frame) => frame.seq)).toEqual([before.seq, afterEnd.seq, later.seq]);
  });

  it('unsubscribes a publisher removed from the channel', async () => {
    const channel = (await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Desk', publisher_ids: ['analyst'] } })).body.id as string;
    const analyst = await connect('analyst');
    await subscribe(analyst, channel);

    await stack.request('PATCH', `/api/admin/channels/${channel}`, { token: admin, body: { publisher_ids: [] } });
    const post = await publish(channel);
    const unsubscribed = await analyst.waitFor((frame) => frame.type === 'unsubscribed');

    expect(unsubscribed).toEqual({ type: 'unsubscribed', channel_id: channel, reason: 'access_denied' });
    expect(analyst.frames.filter((frame) => frame.seq === post.seq)).toEqual([]);
  });

  it('delivers 200 concurrent posts to 3 sockets in seq order', async () => {
    const channel = await createChannel();
    const readers = ['fan-1', 'fan-2', 'fan-3'];
    const listeners: TestSocket[] = [];
    for (const reader of readers) {
      await grant(channel, reader);
      const socket = await connect(reader);
      await subscribe(socket, channel);
      listeners.push(socket);
    }

    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let index = 0; index < 20; index += 1) await publish(channel);
      }),
    );
    await Promise.all(listeners.map((socket) => socket.waitFor(publishedFrame(channel, 200), { timeoutMs: 60_000 })));

    for (const socket of listeners) {
      const seqs = socket.frames.filter((frame) => frame.type === 'post.published').map((frame) => frame.seq as number);
      const firstSeen = seqs.filter((seq, index) => seqs.indexOf(seq) === index);
      expect(firstSeen).toEqual(Array.from({ length: 200 }, (_, index) => index + 1));
    }
  });

  it('removes a connection that is gone without $disconnect', async () => {
    const channel = await createChannel();
    await grant(channel, 'watcher-410');
    const watcher = await connect('watcher-410');
    await subscribe(watcher, channel);
    const goneId = 'GoneConn0000=';
    await stack.db.send(
      new PutCommand({ TableName: stack.tables.connections, Item: { pk: `connection#${goneId}`, sk: 'connection', connection_id: goneId, user_id: 'ghost', is_admin: true, is_moderator: false, connected_at: new Date().toISOString(), expires_at_epoch: 4_000_000_000 } }),
    );
    await stack.db.send(
      new PutCommand({
        TableName: stack.tables.connections,
        Item: { pk: `channel#${channel}`, sk: goneId, connection_id: goneId, user_id: 'ghost', is_admin: true, decision: { mode: 'FULL', validUntil: 4_000_000_000_000 }, subscribed_at: new Date().toISOString(), expires_at_epoch: 4_000_000_000 },
      }),
    );

    const post = await publish(channel);
    await watcher.waitFor(publishedFrame(channel, post.seq));
    const remaining = await waitUntilGone(goneId);

    expect(remaining).toEqual([]);
    const connection = await stack.db.send(new GetCommand({ TableName: stack.tables.connections, Key: { pk: `connection#${goneId}`, sk: 'connection' } }));
    expect(connection.Item).toBeUndefined();
  });

  /** Polls the by-connection index until no item of the connection is left (bounded). */
  async function waitUntilGone(connectionId: string): Promise<unknown[]> {
    let items: unknown[] = [];
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const result = await stack.db.send(
        new QueryCommand({ TableName: stack.tables.connections, IndexName: 'by_connection', KeyConditionExpression: 'connection_id = :id', ExpressionAttributeValues: { ':id': connectionId } }),
      );
      items = result.Items ?? [];
      if (items.length === 0) return items;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return items;
  }

  it('catches up after a reconnect', async () => {
    const channel = await createChannel();
    await grant(channel, 'mobile');
    const first = await connect('mobile');
    await subscribe(first, channel);
    const seen = await publish(channel);
    await first.waitFor(publishedFrame(channel, seen.seq));
    await first.close();

    const missed: number[] = [];
    for (let index = 0; index < 20; index += 1) missed.push((await publish(channel)).seq);
    const second = await connect('mobile');
    const subscribed = await second.request({ action: 'subscribe', channel_id: channel, after_seq: seen.seq }, 'subscribed');
    const page = await stack.request('GET', `/api/mobile/channels/${channel}/posts?after_seq=${seen.seq}&limit=100`, { token: stack.token('mobile') });

    expect(subscribed.last_seq).toBe(seen.seq + 20);
    expect(page.body.posts.map((post: { seq: number }) => post.seq)).toEqual(missed);
    expect(page.body.has_more).toBe(false);
  });
});
