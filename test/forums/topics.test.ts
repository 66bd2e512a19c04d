import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { forumApi, iso, MINUTE_MS, NO_RATE_LIMIT, nextWholeHour, type ForumApi, type TopicBody } from './forum-api.js';

interface ForumBody {
  id: string;
  title: string;
  description: string;
  linked_channel_id: string | null;
  created_at: string;
  access: { mode: string };
}

describe('forums and topics', () => {
  let stack: TestStack;
  let api: ForumApi;
  let now = nextWholeHour();
  let admin: string;
  let moderator: string;
  let reader: string;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => now, environment: NO_RATE_LIMIT });
    api = forumApi(stack);
    admin = stack.token('admin-1', { admin: true });
    moderator = stack.token('mod-1', { moderator: true });
    reader = stack.token('reader-1');
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** Lists every topic of a forum in order, following next_cursor with `limit` topics a page. */
  async function listAllTopics(forumId: string, limit: number): Promise<TopicBody[]> {
    const topics: TopicBody[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const query: string = `limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const response = await stack.request('GET', `/api/mobile/forums/${forumId}/topics?${query}`, { token: reader });
      expect(response.status, response.text).toBe(200);
      expect(response.body.topics.length).toBeLessThanOrEqual(limit);
      topics.push(...(response.body.topics as TopicBody[]));
      cursor = response.body.next_cursor;
      if (cursor === null) return topics;
    }
    throw new Error(`Listing the topics of ${forumId} did not end after 50 pages`);
  }

  const pin = async (topicId: string, pinned: boolean): Promise<void> => {
    const response = await stack.request('PUT', `/api/admin/topics/${topicId}/pin`, { token: moderator, body: { pinned } });
    expect(response.status, response.text).toBe(200);
  };

  describe('POST /api/admin/forums', () => {
    it('creates and audits a forum', async () => {
      const response = await stack.request('POST', '/api/admin/forums', { token: admin, body: { title: 'Trading room', description: 'Daily talk' } });

      expect(response.status, response.text).toBe(201);
      expect(response.body).toMatchObject({ title: 'Trading room', description: 'Daily talk', linked_channel_id: null, created_at: iso(now) });
      expect(response.body.id).toEqual(expect.any(String));
      const records = await api.auditOf(`forum#${response.body.id}`);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ actor_id: 'admin-1', target: `forum#${response.body.id}` });
    });

    it('honours Idempotency-Key', async () => {
      const create = (title: string) => stack.request('POST', '/api/admin/forums', { token: admin, body: { title }, headers: { 'idempotency-key': 'forum-key' } });

      const original = await create('Once');
      const retry = await create('Once');
      const conflict = await create('Twice');

      expect(original.status, original.text).toBe(201);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.text).toBe(original.text);
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.code).toBe('idempotency_conflict');
      const forums = await stack.request('GET', '/api/mobile/forums?limit=100', { token: reader });
      const titles = forums.body.forums.map((forum: ForumBody) => forum.title);
      expect(titles.filter((title: string) => title === 'Once')).toHaveLength(1);
      expect(titles).not.toContain('Twice');
    });
  });

  describe('GET /api/mobile/forums', () => {
    it('pages through every forum once', async () => {
      const created: string[] = [];
      for (let index = 0; index < 5; index += 1) created.push(await api.createForum(admin, { title: `Paged ${index}` }));

      const seen: ForumBody[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 50 && (page === 0 || cursor !== null); page += 1) {
        const query: string = `limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const response = await stack.request('GET', `/api/mobile/forums?${query}`, { token: reader });
        expect(response.status, response.text).toBe(200);
        expect(response.body.forums.length).toBeLessThanOrEqual(2);
        seen.push(...(response.body.forums as ForumBody[]));
        cursor = response.body.next_cursor;
      }

      expect(cursor).toBeNull();
      const ids = seen.map((forum) => forum.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(created));
      const paged = seen.find((forum) => forum.id === created[0]);
      expect(paged).toEqual({ id: created[0], title: 'Paged 0', description: '', linked_channel_id: null, created_at: iso(now), access: { mode: 'FULL' } });
    });
  });

  describe('GET /api/mobile/forums/{forumId}/topics', () => {
    let forumId: string;
    /** Topic ids by creation order, one minute apart. */
    const topicIds: string[] = [];

    beforeAll(async () => {
      forumId = await api.createForum(admin, { title: 'Ordered' });
      for (let index = 0; index < 7; index += 1) {
        now += MINUTE_MS;
        topicIds.push((await api.createTopic(stack.token(`author-${index}`), forumId, { title: `Topic ${index}` })).topic.id);
      }
    });

    it('lists by last activity, newest first', async () => {
      const topics = await listAllTopics(forumId, 100);

      expect(topics.map((topic) => topic.id)).toEqual([...topicIds].reverse());
      const activity = topics.map((topic) => topic.last_activity_at);
      expect(activity).toEqual([...activity].sort().reverse());
    });

    it('moves a replied topic up', async () => {
      now += MINUTE_MS;
      await api.reply(reader, topicIds[1]!, 'bump');

      const topics = await listAllTopics(forumId, 100);

      const [t0, t1, t2, t3, t4, t5, t6] = topicIds;
      expect(topics.map((topic) => topic.id)).toEqual([t1, t6, t5, t4, t3, t2, t0]);
      expect(topics[0]).toMatchObject({ last_activity_at: iso(now), last_seq: 2, message_count: 2 });
    });

    it('lists pinned topics first', async () => {
      now += MINUTE_MS;
      await pin(topicIds[0]!, true);
      now += MINUTE_MS;
      await pin(topicIds[3]!, true);

      const topics = await listAllTopics(forumId, 100);

      const [t0, t1, t2, t3, t4, t5, t6] = topicIds;
      expect(topics.map((topic) => topic.id)).toEqual([t3, t0, t1, t6, t5, t4, t2]);
      expect(topics.map((topic) => topic.pinned)).toEqual([true, true, false, false, false, false, false]);
    });

    it.each([1, 2, 3])('pages every topic once, %i a page', async (limit) => {
      const all = await listAllTopics(forumId, 100);

      const paged = await listAllTopics(forumId, limit);

      expect(paged.map((topic) => topic.id)).toEqual(all.map((topic) => topic.id));
      expect(all).toHaveLength(7);
    });

    it('returns an unpinned topic to the others', async () => {
      now += MINUTE_MS;
      await pin(topicIds[0]!, false);

      const topics = await listAllTopics(forumId, 100);

      expect(topics[0]!.id).toBe(topicIds[3]);
      expect(topics.filter((topic) => topic.pinned).map((topic) => topic.id)).toEqual([topicIds[3]]);
      expect(topics.find((topic) => topic.id === topicIds[0])?.pinned).toBe(false);
    });
  });

  describe('pin racing a reply', () => {
    it('orders pinned topics by latest reply', async () => {
      const forumId = await api.createForum(admin, { title: 'Race' });
      now += MINUTE_MS;
      const older = (await api.createTopic(reader, forumId, { title: 'Older' })).topic.id;
      now += MINUTE_MS;
      const newer = (await api.createTopic(reader, forumId, { title: 'Newer' })).topic.id;
      await pin(newer, true);
      // A reply to `older` commits after the pin request has read the topic and before it writes.
      let replied = false;
      stack.db.middlewareStack.add(
        (next) => async (args) => {
          const isPinWrite = JSON.stringify(args.input).includes('"#pinned"');
          if (isPinWrite && !replied) {
            replied = true;
            now += MINUTE_MS;
            await api.reply(reader, older, 'reply during the pin');
          }
          return next(args);
        },
        { step: 'initialize', name: 'replyBeforePinWrite' },
      );

      try {
        await pin(older, true);
      } finally {
        stack.db.middlewareStack.remove('replyBeforePinWrite');
      }

      expect(replied).toBe(true);
      const topics = await listAllTopics(forumId, 100);
      expect(topics.map((topic) => [topic.title, topic.pinned, topic.last_activity_at])).toEqual([
        ['Older', true, iso(now)],
        ['Newer', true, iso(now - MINUTE_MS)],
      ]);
    });
  });

  describe('POST /api/mobile/forums/{forumId}/topics', () => {
    it('creates a topic and first message', async () => {
      const forumId = await api.createForum(admin, { title: 'Shapes' });
      now += MINUTE_MS;

      const response = await stack.request('POST', `/api/mobile/forums/${forumId}/topics`, { token: reader, body: { title: 'Question', body_text: 'How?' } });

      expect(response.status, response.text).toBe(201);
      const { topic, message } = response.body as { topic: TopicBody; message: { id: string } };
      expect(topic).toEqual({
        id: expect.any(String),
        forum_id: forumId,
        title: 'Question',
        author_id: 'reader-1',
        post: null,
        pinned: false,
        locked: false,
        slow_mode_seconds: 0,
        last_seq: 1,
        message_count: 1,
        last_activity_at: iso(now),
        created_at: iso(now),
        version: expect.any(Number),
      });
      expect(message).toEqual({
        id: expect.any(String),
        topic_id: topic.id,
        seq: 1,
        created_at: iso(now),
        author_id: 'reader-1',
        body_text: 'How?',
        edited_at: null,
        version: expect.any(Number),
        is_deleted: false,
      });
      expect(await api.getTopic(stack.token('someone-else'), topic.id)).toEqual(topic);
    });

    it('links a topic to a channel post', async () => {
      const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Signals' } });
      const post = await stack.request('POST', `/api/admin/channels/${channel.body.id}/posts`, {
        token: admin,
        body: { body_text: 'Buy ACME' },
        headers: { 'idempotency-key': 'discussed-post' },
      });
      const forumId = await api.createForum(admin, { title: 'Signal talk', linked_channel_id: channel.body.id });

      const { topic } = await api.createTopic(moderator, forumId, { title: 'About ACME', post_id: post.body.id });

      expect(topic.post).toEqual({ channel_id: channel.body.id, post_id: post.body.id });
      expect((await api.getTopic(moderator, topic.id)).post).toEqual(topic.post);
    });
  });

  describe('not found', () => {
    it.each([
      ['topics of an unknown forum', 'GET', '/api/mobile/forums/f_0000000000000000/topics'],
      ['a topic in an unknown forum', 'POST', '/api/mobile/forums/f_0000000000000000/topics'],
      ['an unknown topic', 'GET', '/api/mobile/topics/t_0000000000000000'],
      ['messages of an unknown topic', 'GET', '/api/mobile/topics/t_0000000000000000/messages'],
      ['a message in an unknown topic', 'POST', '/api/mobile/topics/t_0000000000000000/messages'],
    ])('returns 404 for %s', async (_name, method, path) => {
      const body = method === 'POST' ? (path.endsWith('/topics') ? { title: 't', body_text: 'b' } : { body_text: 'b' }) : undefined;

      const response = await stack.request(method, path, { token: reader, ...(body && { body }) });

      expect(response.status, response.text).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    });
  });
});
