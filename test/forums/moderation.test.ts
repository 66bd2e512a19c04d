import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type ApiResult, type TestStack } from '../support/stack.js';
import { DAY_MS, forumApi, iso, NO_RATE_LIMIT, nextWholeHour, SECOND_MS, type ForumApi, type MessageBody, type TopicBody } from './forum-api.js';

describe('forum moderation', () => {
  let stack: TestStack;
  let api: ForumApi;
  let now = nextWholeHour();
  let admin: string;
  let moderator: string;
  let reader: string;
  let forumId: string;
  let topic: TopicBody;
  let message: MessageBody;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => now, environment: NO_RATE_LIMIT });
    api = forumApi(stack);
    admin = stack.token('admin-1', { admin: true });
    moderator = stack.token('mod-1', { moderator: true });
    reader = stack.token('reader-1');
    forumId = await api.createForum(admin, { title: 'Moderated' });
    ({ topic } = await api.createTopic(stack.token('author-1'), forumId, { title: 'Heated' }));
    message = await api.reply(stack.token('victim-1'), topic.id, 'rude reply');
  });

  afterAll(async () => {
    await stack.stop();
  });

  const topicTarget = (): string => `topic#${topic.id}`;
  const forumTarget = (): string => `forum#${forumId}`;

  interface ModerationAction {
    readonly name: string;
    readonly target: 'topic' | 'forum';
    /** Whether the topic's version goes up: lock, pin and slow mode change the topic itself. */
    readonly bumpsVersion: boolean;
    send(token: string): Promise<ApiResult>;
  }

  const actions: ModerationAction[] = [
    { name: 'lock', target: 'topic', bumpsVersion: true, send: (token) => stack.request('PUT', `/api/admin/topics/${topic.id}/lock`, { token, body: { locked: true } }) },
    { name: 'unlock', target: 'topic', bumpsVersion: true, send: (token) => stack.request('PUT', `/api/admin/topics/${topic.id}/lock`, { token, body: { locked: false } }) },
    { name: 'pin', target: 'topic', bumpsVersion: true, send: (token) => stack.request('PUT', `/api/admin/topics/${topic.id}/pin`, { token, body: { pinned: true } }) },
    { name: 'unpin', target: 'topic', bumpsVersion: true, send: (token) => stack.request('PUT', `/api/admin/topics/${topic.id}/pin`, { token, body: { pinned: false } }) },
    { name: 'slow mode on', target: 'topic', bumpsVersion: true, send: (token) => stack.request('PUT', `/api/admin/topics/${topic.id}/slow-mode`, { token, body: { seconds: 60 } }) },
    { name: 'slow mode off', target: 'topic', bumpsVersion: true, send: (token) => stack.request('PUT', `/api/admin/topics/${topic.id}/slow-mode`, { token, body: { seconds: 0 } }) },
    {
      name: 'mute',
      target: 'forum',
      bumpsVersion: false,
      send: (token) => stack.request('PUT', `/api/admin/forums/${forumId}/mutes/reader-1`, { token, body: { until: iso(now + DAY_MS), reason: 'rude' } }),
    },
    { name: 'unmute', target: 'forum', bumpsVersion: false, send: (token) => stack.request('DELETE', `/api/admin/forums/${forumId}/mutes/reader-1`, { token }) },
    {
      name: "delete of another user's message",
      target: 'topic',
      bumpsVersion: false,
      send: (token) => stack.request('DELETE', `/api/mobile/topics/${topic.id}/messages/${message.id}`, { token }),
    },
  ];

  describe('audit', () => {
    it.each(actions)('$name by a reader is 403, unaudited', async (action) => {
      const topicBefore = await api.auditOf(topicTarget());
      const forumBefore = await api.auditOf(forumTarget());
      const versionBefore = (await api.getTopic(admin, topic.id)).version;

      const response = await action.send(reader);

      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
      expect(await api.auditOf(topicTarget())).toEqual(topicBefore);
      expect(await api.auditOf(forumTarget())).toEqual(forumBefore);
      expect((await api.getTopic(admin, topic.id)).version).toBe(versionBefore);
    });

    it.each(actions)('$name writes one audit record', async (action) => {
      // Records sort by time, so each action gets its own second.
      now += SECOND_MS;
      const target = action.target === 'topic' ? topicTarget() : forumTarget();
      const otherTarget = action.target === 'topic' ? forumTarget() : topicTarget();
      const before = await api.auditOf(target);
      const otherBefore = await api.auditOf(otherTarget);
      const versionBefore = (await api.getTopic(admin, topic.id)).version;

      const response = await action.send(moderator);

      expect(response.status, response.text).toBe(200);
      const after = await api.auditOf(target);
      expect(after).toHaveLength(before.length + 1);
      expect(after[0]).toMatchObject({ target, actor_id: 'mod-1', recorded_at: iso(now) });
      expect(after.slice(1)).toEqual(before);
      expect(await api.auditOf(otherTarget)).toEqual(otherBefore);
      const versionAfter = (await api.getTopic(admin, topic.id)).version;
      expect(versionAfter).toBe(action.bumpsVersion ? versionBefore + 1 : versionBefore);
    });

    it("records a mute's user, end and reason", async () => {
      now += SECOND_MS;
      const until = iso(now + DAY_MS);

      const response = await stack.request('PUT', `/api/admin/forums/${forumId}/mutes/reader-2`, { token: moderator, body: { until, reason: 'spam links' } });

      expect(response.status, response.text).toBe(200);
      const [record] = await api.auditOf(forumTarget());
      expect(record).toMatchObject({ action: 'user.muted', actor_id: 'mod-1', details: { user_id: 'reader-2', muted_until: until, reason: 'spam links' } });
    });

    it('audits no rejected moderator request', async () => {
      now += SECOND_MS;
      const before = await api.auditOf(topicTarget());

      const outOfRange = await stack.request('PUT', `/api/admin/topics/${topic.id}/slow-mode`, { token: moderator, body: { seconds: 86_401 } });
      const unknownTopic = await stack.request('PUT', '/api/admin/topics/t_0000000000000000/lock', { token: moderator, body: { locked: true } });
      const accepted = await stack.request('PUT', `/api/admin/topics/${topic.id}/slow-mode`, { token: moderator, body: { seconds: 86_400 } });

      expect(outOfRange.status).toBe(400);
      expect(unknownTopic.status).toBe(404);
      expect(await api.auditOf('topic#t_0000000000000000')).toEqual([]);
      expect(accepted.status, accepted.text).toBe(200);
      const after = await api.auditOf(topicTarget());
      expect(after).toHaveLength(before.length + 1);
      expect((await api.getTopic(admin, topic.id)).slow_mode_seconds).toBe(86_400);
    });
  });

  describe('authorization', () => {
    it.each([
      ['a reader', () => reader],
      ['a moderator', () => moderator],
    ])('POST /api/admin/forums by %s is 403', async (_caller, token) => {
      const before = await stack.request('GET', '/api/mobile/forums?limit=100', { token: admin });

      const response = await stack.request('POST', '/api/admin/forums', { token: token(), body: { title: 'Not allowed' } });

      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
      const after = await stack.request('GET', '/api/mobile/forums?limit=100', { token: admin });
      expect(after.body.forums).toEqual(before.body.forums);
    });

    it('POST /api/admin/forums by an admin is 201', async () => {
      const response = await stack.request('POST', '/api/admin/forums', { token: admin, body: { title: 'Allowed' } });

      expect(response.status, response.text).toBe(201);
    });

    const routes: [string, string, unknown?][] = [
      ['POST', '/api/admin/forums', { title: 'x' }],
      ['GET', '/api/mobile/forums'],
      ['GET', '/api/mobile/forums/{forum}/topics'],
      ['POST', '/api/mobile/forums/{forum}/topics', { title: 'x', body_text: 'y' }],
      ['GET', '/api/mobile/topics/{topic}'],
      ['GET', '/api/mobile/topics/{topic}/messages'],
      ['POST', '/api/mobile/topics/{topic}/messages', { body_text: 'y' }],
      ['PATCH', '/api/mobile/topics/{topic}/messages/{message}', { body_text: 'y' }],
      ['DELETE', '/api/mobile/topics/{topic}/messages/{message}'],
      ['PUT', '/api/admin/topics/{topic}/lock', { locked: true }],
      ['PUT', '/api/admin/topics/{topic}/pin', { pinned: true }],
      ['PUT', '/api/admin/topics/{topic}/slow-mode', { seconds: 5 }],
      ['PUT', '/api/admin/forums/{forum}/mutes/reader-1', { until: '2999-01-01T00:00:00.000Z' }],
      ['DELETE', '/api/admin/forums/{forum}/mutes/reader-1'],
    ];
    const fill = (path: string): string => path.replace('{forum}', forumId).replace('{topic}', topic.id).replace('{message}', message.id);

    it.each(routes)('%s %s without a token is 401', async (method, path, body) => {
      const response = await stack.request(method, fill(path), body === undefined ? {} : { body });

      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    });

    it.each(routes)('%s %s with a token passes the authorizer', async (method, path, body) => {
      const response = await stack.request(method, fill(path), { token: reader, ...(body !== undefined && { body }) });

      expect(response.status).not.toBe(401);
    });
  });
});
