import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type ApiResult, type TestStack } from '../support/stack.js';
import { DAY_MS, forumApi, iso, nextWholeHour, type ForumApi, type TopicBody } from './forum-api.js';

/** Each period opens a window at its own start, so the windows are exactly the periods. */
const NO_BACKFILL_POLICY = { initial_backfill_days: 0, resubscribe_backfill_days: 0, keep_archive_after_lapse: true };

describe('linked forum with the built-in provider', () => {
  const origin = nextWholeHour();
  /** Day `n` of the scenario, as epoch ms. */
  const day = (n: number): number => origin + n * DAY_MS;

  let stack: TestStack;
  let api: ForumApi;
  let now = day(0);
  let admin: string;
  /** Subscribed on days 1-2 and 4-5: ARCHIVE_UNTIL day 5 from day 6 on. */
  let archive: string;
  /** Subscribed from day 1 on: FULL. */
  let full: string;
  /** No period: DENY. */
  let denied: string;
  let channelId: string;
  let linkedForumId: string;
  let openForumId: string;
  /** Created on day 0, before every window. */
  let topicBeforeWindows: TopicBody;
  /** Created on day 1.5, inside the first window; messages on days 1.5, 1.6, 3, 4.5 and 5.5. */
  let topicInWindow: TopicBody;
  /** Created on day 3, between the windows. */
  let topicInGap: TopicBody;
  /** Created on day 5.5, after the archive ends. */
  let topicAfterArchive: TopicBody;
  let archiveMessageId: string;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => now });
    api = forumApi(stack);
    admin = stack.token('admin-1', { admin: true });
    archive = stack.token('archie');
    full = stack.token('fiona');
    denied = stack.token('dan');

    const channel = await stack.request('POST', '/api/admin/channels', {
      token: admin,
      body: { title: 'Signals', access_policy: NO_BACKFILL_POLICY, publisher_ids: ['analyst'] },
    });
    expect(channel.status).toBe(201);
    channelId = channel.body.id;
    await setPeriods('archie', [
      { start: iso(day(1)), end: iso(day(2)) },
      { start: iso(day(4)), end: iso(day(5)) },
    ]);
    await setPeriods('fiona', [{ start: iso(day(1)), end: null }]);
    linkedForumId = await api.createForum(admin, { title: 'Signals discussion', linked_channel_id: channelId });
    openForumId = await api.createForum(admin, { title: 'Lobby' });

    ({ topic: topicBeforeWindows } = await api.createTopic(admin, linkedForumId, { title: 'Day 0 topic', body_text: 'day 0 opening' }));
    now = day(1.5);
    ({ topic: topicInWindow } = await api.createTopic(admin, linkedForumId, { title: 'Day 1.5 topic', body_text: 'day 1.5 opening' }));
    now = day(1.6);
    // The archive reader is FULL on day 1.6, inside their first period.
    archiveMessageId = (await api.reply(archive, topicInWindow.id, 'written while subscribed')).id;
    now = day(3);
    await api.reply(admin, topicInWindow.id, 'hidden in the gap');
    ({ topic: topicInGap } = await api.createTopic(admin, linkedForumId, { title: 'Day 3 topic', body_text: 'day 3 opening' }));
    now = day(4.5);
    await api.reply(admin, topicInWindow.id, 'inside the second window');
    now = day(5.5);
    await api.reply(admin, topicInWindow.id, 'after the archive ends');
    ({ topic: topicAfterArchive } = await api.createTopic(admin, linkedForumId, { title: 'Day 5.5 topic', body_text: 'day 5.5 opening' }));
    now = day(6);
  });

  afterAll(async () => {
    await stack.stop();
  });

  async function setPeriods(userId: string, periods: { start: string; end: string | null }[]): Promise<void> {
    const response = await stack.request('PUT', `/api/admin/access/${channelId}/users/${userId}`, { token: admin, body: { periods } });
    expect(response.status).toBe(200);
  }

  async function listedTopicIds(token: string, forumId: string): Promise<string[]> {
    const response = await stack.request('GET', `/api/mobile/forums/${forumId}/topics?limit=100`, { token });
    expect(response.status, response.text).toBe(200);
    return (response.body.topics as TopicBody[]).map((topic) => topic.id).sort();
  }

  it('archive reader reads windowed messages', async () => {
    const forwards = await api.messagesPage(archive, topicInWindow.id, 'after_seq=0&limit=20');
    const backwards = await api.messagesPage(archive, topicInWindow.id, 'before_seq=6&limit=20');
    const oneByOne = await api.allMessages(archive, topicInWindow.id, 1);

    expect(forwards.status).toBe(200);
    expect(forwards.body.messages.map((message: { seq: number }) => message.seq)).toEqual([1, 2, 4]);
    expect(forwards.body.next_after_seq).toBe(5);
    expect(forwards.body.has_more).toBe(false);
    expect(forwards.body.last_seq).toBe(5);
    expect(forwards.text).not.toContain('hidden in the gap');
    expect(forwards.text).not.toContain('after the archive ends');
    expect(backwards.status).toBe(200);
    expect(backwards.body.messages.map((message: { seq: number }) => message.seq)).toEqual([4, 2, 1]);
    expect(backwards.body.next_before_seq).toBe(1);
    expect(backwards.body.has_more).toBe(false);
    expect(oneByOne.map((message) => message.seq)).toEqual([1, 2, 4]);
  });

  it('full reader reads from day 1', async () => {
    const messages = await api.allMessages(full, topicInWindow.id);

    expect(messages.map((message) => message.body_text)).toEqual([
      'day 1.5 opening',
      'written while subscribed',
      'hidden in the gap',
      'inside the second window',
      'after the archive ends',
    ]);
  });

  it('shows only topics inside windows', async () => {
    const archiveTopics = await listedTopicIds(archive, linkedForumId);
    const fullTopics = await listedTopicIds(full, linkedForumId);
    const adminTopics = await listedTopicIds(admin, linkedForumId);
    const inWindow = await stack.request('GET', `/api/mobile/topics/${topicInWindow.id}`, { token: archive });
    const outside = await Promise.all(
      [topicBeforeWindows, topicInGap, topicAfterArchive].map((topic) => stack.request('GET', `/api/mobile/topics/${topic.id}`, { token: archive })),
    );
    const outsideMessages = await api.messagesPage(archive, topicInGap.id);

    expect(archiveTopics).toEqual([topicInWindow.id]);
    expect(fullTopics).toEqual([topicInWindow.id, topicInGap.id, topicAfterArchive.id].sort());
    expect(adminTopics).toEqual([topicBeforeWindows.id, topicInWindow.id, topicInGap.id, topicAfterArchive.id].sort());
    expect(inWindow.status).toBe(200);
    expect(inWindow.body.title).toBe('Day 1.5 topic');
    for (const response of outside) {
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
      expect(response.text).not.toContain('opening');
    }
    expect(outsideMessages.status).toBe(403);
    expect(outsideMessages.text).not.toContain('day 3 opening');
  });

  it('archive reader cannot write', async () => {
    const message = await api.postMessage(archive, topicInWindow.id, 'too late');
    const topic = await stack.request('POST', `/api/mobile/forums/${linkedForumId}/topics`, { token: archive, body: { title: 'New', body_text: 'too late' } });

    expect(message.status).toBe(403);
    expect(message.body.error.code).toBe('forbidden');
    expect(topic.status).toBe(403);
    expect(topic.body.error.code).toBe('forbidden');
    expect((await api.getTopic(admin, topicInWindow.id)).last_seq).toBe(5);
    expect(await listedTopicIds(admin, linkedForumId)).toHaveLength(4);
  });

  it('full reader writes', async () => {
    const message = await api.postMessage(full, topicInWindow.id, 'full reader reply');
    const topic = await stack.request('POST', `/api/mobile/forums/${linkedForumId}/topics`, { token: full, body: { title: 'From fiona', body_text: 'hello' } });
    const archiveView = await api.messagesPage(archive, topicInWindow.id, 'after_seq=0');

    expect(message.status, message.text).toBe(201);
    expect(message.body.seq).toBe(6);
    expect(message.body.author_id).toBe('fiona');
    expect(topic.status, topic.text).toBe(201);
    expect(topic.body.topic.author_id).toBe('fiona');
    // The new message is after the archive reader's `until`.
    expect(archiveView.body.messages.map((entry: { seq: number }) => entry.seq)).toEqual([1, 2, 4]);
    expect(archiveView.body.next_after_seq).toBe(6);
    expect(archiveView.body.last_seq).toBe(6);
  });

  it('denied reader gets nothing', async () => {
    const responses: [string, ApiResult][] = [
      ['topics', await stack.request('GET', `/api/mobile/forums/${linkedForumId}/topics`, { token: denied })],
      ['topic', await stack.request('GET', `/api/mobile/topics/${topicInWindow.id}`, { token: denied })],
      ['messages', await api.messagesPage(denied, topicInWindow.id)],
      ['post', await api.postMessage(denied, topicInWindow.id, 'let me in')],
      ['create topic', await stack.request('POST', `/api/mobile/forums/${linkedForumId}/topics`, { token: denied, body: { title: 'x', body_text: 'y' } })],
    ];

    for (const [name, response] of responses) {
      expect(response.status, name).toBe(403);
      expect(response.body.error.code, name).toBe('forbidden');
      expect(response.text, name).not.toContain('opening');
      expect(response.text, name).not.toContain('Day 1.5 topic');
    }
    expect(await listedTopicIds(admin, linkedForumId)).toHaveLength(5);
  });

  it('channel publisher needs no period', async () => {
    const analyst = stack.token('analyst');

    const messages = await api.allMessages(analyst, topicInWindow.id);
    const reply = await api.postMessage(analyst, topicInWindow.id, 'analyst note');

    expect(messages.map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reply.status, reply.text).toBe(201);
  });

  it('lists forums with inherited access', async () => {
    const forums = await stack.request('GET', '/api/mobile/forums?limit=100', { token: archive });
    const channel = await stack.request('GET', `/api/mobile/channels/${channelId}`, { token: archive });

    expect(forums.status).toBe(200);
    const linked = forums.body.forums.find((forum: { id: string }) => forum.id === linkedForumId);
    const open = forums.body.forums.find((forum: { id: string }) => forum.id === openForumId);
    expect(channel.body.access).toEqual({
      mode: 'ARCHIVE_UNTIL',
      until: iso(day(5)),
      read_windows: [{ start: iso(day(1)), end: iso(day(2)) }, { start: iso(day(4)) }],
    });
    expect(linked).toEqual({
      id: linkedForumId,
      title: 'Signals discussion',
      description: '',
      linked_channel_id: channelId,
      created_at: iso(day(0)),
      access: channel.body.access,
    });
    expect(open).toEqual({ id: openForumId, title: 'Lobby', description: '', linked_channel_id: null, created_at: iso(day(0)), access: { mode: 'FULL' } });
  });

  it('open forum admits every user', async () => {
    const walkIn = stack.token('walk-in');
    const neighbour = stack.token('neighbour');

    const created = await stack.request('POST', `/api/mobile/forums/${openForumId}/topics`, { token: walkIn, body: { title: 'Hi all', body_text: 'first' } });
    const reply = await api.postMessage(denied, created.body.topic.id, 'welcome');
    const read = await api.allMessages(neighbour, created.body.topic.id);
    const listed = await listedTopicIds(neighbour, openForumId);

    expect(created.status, created.text).toBe(201);
    expect(reply.status, reply.text).toBe(201);
    expect(read.map((message) => [message.author_id, message.body_text])).toEqual([
      ['walk-in', 'first'],
      ['dan', 'welcome'],
    ]);
    expect(listed).toEqual([created.body.topic.id]);
  });

  it('lapsed author deletes own message', async () => {
    const response = await stack.request('DELETE', `/api/mobile/topics/${topicInWindow.id}/messages/${archiveMessageId}`, { token: archive });

    expect(response.status, response.text).toBe(200);
    const messages = await api.allMessages(full, topicInWindow.id);
    expect(messages[1]).toMatchObject({ id: archiveMessageId, seq: 2, body_text: null, is_deleted: true });
  });
});

describe('linked forum with an unreachable HTTP provider', () => {
  /** Content that must never appear in an error response. */
  const PAID_TITLE = 'PAID-title-51c2';
  const PAID_BODY = 'PAID-body-51c2: buy ACME at the open';

  let stack: TestStack;
  let api: ForumApi;
  let admin: string;
  let reader: string;
  let linkedForumId: string;
  let openForumId: string;
  let topicId: string;

  beforeAll(async () => {
    stack = await startTestStack({
      accessProviderUrl: await closedPortUrl(),
      // An open circuit breaker would reject later requests without calling the provider. Both give 503, but this keeps each case on the network path.
      environment: { ACCESS_PROVIDER_TIMEOUT_MS: '300', ACCESS_PROVIDER_CIRCUIT_FAILURES: '0' },
    });
    api = forumApi(stack);
    admin = stack.token('admin-1', { admin: true });
    reader = stack.token('reader-1');
    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Signals' } });
    linkedForumId = await api.createForum(admin, { title: 'Linked', linked_channel_id: channel.body.id });
    openForumId = await api.createForum(admin, { title: 'Open' });
    topicId = (await api.createTopic(admin, linkedForumId, { title: PAID_TITLE, body_text: PAID_BODY })).topic.id;
  });

  afterAll(async () => {
    await stack.stop();
  });

  const routes: { name: string; send: () => Promise<ApiResult> }[] = [
    { name: 'list topics', send: () => stack.request('GET', `/api/mobile/forums/${linkedForumId}/topics`, { token: reader }) },
    { name: 'get topic', send: () => stack.request('GET', `/api/mobile/topics/${topicId}`, { token: reader }) },
    { name: 'list messages', send: () => api.messagesPage(reader, topicId) },
    { name: 'post message', send: () => api.postMessage(reader, topicId, 'reply') },
    { name: 'create topic', send: () => stack.request('POST', `/api/mobile/forums/${linkedForumId}/topics`, { token: reader, body: { title: 't', body_text: 'b' } }) },
  ];

  it.each(routes)('$name is 503 without content', async ({ send }) => {
    const response = await send();

    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('access_unavailable');
    expect(response.text).not.toContain('PAID');
  });

  it('writes nothing without a decision', async () => {
    await api.postMessage(reader, topicId, 'reply');

    const topic = await api.getTopic(admin, topicId);
    const topics = await stack.request('GET', `/api/mobile/forums/${linkedForumId}/topics`, { token: admin });

    expect(topic.last_seq).toBe(1);
    expect(topics.body.topics.map((entry: TopicBody) => entry.id)).toEqual([topicId]);
  });

  it('admin reads without the provider', async () => {
    const messages = await api.allMessages(admin, topicId);

    expect(messages.map((message) => message.body_text)).toEqual([PAID_BODY]);
  });

  it('open forum works without the provider', async () => {
    const created = await stack.request('POST', `/api/mobile/forums/${openForumId}/topics`, { token: reader, body: { title: 'Open talk', body_text: 'hello' } });
    const reply = await api.postMessage(stack.token('reader-2'), created.body.topic?.id, 'hi');

    expect(created.status, created.text).toBe(201);
    expect(reply.status, reply.text).toBe(201);
  });
});

/** Returns a URL on 127.0.0.1 where nothing listens, using the port of a server that was started and closed again. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/decide`;
}
