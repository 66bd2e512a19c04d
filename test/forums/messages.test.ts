import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type ApiResult, type TestStack } from '../support/stack.js';
import { forumApi, HOUR_MS, iso, NO_RATE_LIMIT, nextWholeHour, type ForumApi, type MessageBody, type MessagePage } from './forum-api.js';

/** A short edit window, to show FORUM_EDIT_WINDOW_HOURS is read. */
const EDIT_WINDOW_HOURS = 2;
const EDIT_WINDOW_MS = EDIT_WINDOW_HOURS * HOUR_MS;

describe('forum messages: edits, deletes and paging', () => {
  let stack: TestStack;
  let api: ForumApi;
  let now = nextWholeHour();
  let admin: string;
  let moderator: string;
  let forumId: string;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => now, environment: { ...NO_RATE_LIMIT, FORUM_EDIT_WINDOW_HOURS: String(EDIT_WINDOW_HOURS) } });
    api = forumApi(stack);
    admin = stack.token('admin-1', { admin: true });
    moderator = stack.token('mod-1', { moderator: true });
    forumId = await api.createForum(admin);
  });

  afterAll(async () => {
    await stack.stop();
  });

  const edit = (token: string, topicId: string, messageId: string, bodyText: string): Promise<ApiResult> =>
    stack.request('PATCH', `/api/mobile/topics/${topicId}/messages/${messageId}`, { token, body: { body_text: bodyText } });
  const remove = (token: string, topicId: string, messageId: string): Promise<ApiResult> =>
    stack.request('DELETE', `/api/mobile/topics/${topicId}/messages/${messageId}`, { token });

  async function messageAt(topicId: string, seq: number): Promise<MessageBody | undefined> {
    return (await api.allMessages(admin, topicId)).find((message) => message.seq === seq);
  }

  describe('PATCH /api/mobile/topics/{topicId}/messages/{messageId}', () => {
    it('lets the author edit inside the window', async () => {
      const { topic } = await api.createTopic(admin, forumId);
      const message = await api.reply(stack.token('ann'), topic.id, 'typo');
      now += EDIT_WINDOW_MS - 1;

      const response = await edit(stack.token('ann'), topic.id, message.id, 'fixed');

      expect(response.status, response.text).toBe(200);
      const edited = { ...message, body_text: 'fixed', edited_at: iso(now), version: message.version + 1 };
      expect(response.body).toEqual(edited);
      expect(await messageAt(topic.id, message.seq)).toEqual(edited);
      const after = await api.getTopic(admin, topic.id);
      expect(after.version).toBe(topic.version);
      expect(after.last_seq).toBe(2);
    });

    it('rejects the author after the window', async () => {
      const { topic } = await api.createTopic(admin, forumId);
      const message = await api.reply(stack.token('ann'), topic.id, 'too late to fix');
      now += EDIT_WINDOW_MS + 1;

      const response = await edit(stack.token('ann'), topic.id, message.id, 'fixed');

      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
      expect(await messageAt(topic.id, message.seq)).toEqual(message);
    });

    it.each([
      ['another user', () => stack.token('carl')],
      ['a moderator', () => moderator],
      ['an admin', () => admin],
    ])("rejects %s editing someone else's message", async (_caller, token) => {
      const { topic } = await api.createTopic(admin, forumId);
      const message = await api.reply(stack.token('bea'), topic.id, 'mine');

      const response = await edit(token(), topic.id, message.id, 'not yours');

      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
      expect(await messageAt(topic.id, message.seq)).toEqual(message);
    });
  });

  describe('concurrent changes to one message', () => {
    it('gives concurrent edits distinct versions', async () => {
      const { topic } = await api.createTopic(admin, forumId);
      const ann = stack.token('ann');
      const message = await api.reply(ann, topic.id, 'draft');

      const responses = await Promise.all(Array.from({ length: 5 }, (_, index) => edit(ann, topic.id, message.id, `edit ${index}`)));

      const applied = responses.filter((response) => response.status === 200);
      expect(applied.length, responses.map((response) => response.text).join('\n')).toBeGreaterThan(0);
      for (const response of responses) expect([200, 409]).toContain(response.status);
      // Each response shows the message as that edit left it, so no two responses carry one version.
      const versions = applied.map((response) => response.body.version as number).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: applied.length }, (_, index) => message.version + 1 + index));
      const stored = await messageAt(topic.id, message.seq);
      const latest = applied.find((response) => response.body.version === versions[versions.length - 1]);
      expect(stored).toEqual(latest?.body);
    });

    it('counts 10 concurrent deletes once', async () => {
      const { topic } = await api.createTopic(admin, forumId);
      const message = await api.reply(stack.token('bea'), topic.id, 'contested');
      now += 1_000;

      const responses = await Promise.all(Array.from({ length: 10 }, () => remove(moderator, topic.id, message.id)));

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      expect((await api.getTopic(admin, topic.id)).message_count).toBe(1);
      const records = await api.auditOf(`topic#${topic.id}`);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ actor_id: 'mod-1', recorded_at: iso(now) });
    });
  });

  describe('DELETE /api/mobile/topics/{topicId}/messages/{messageId}', () => {
    it("rejects another user deleting someone else's message", async () => {
      const { topic } = await api.createTopic(admin, forumId);
      const message = await api.reply(stack.token('bea'), topic.id, 'mine');

      const response = await remove(stack.token('carl'), topic.id, message.id);

      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
      expect(await messageAt(topic.id, message.seq)).toEqual(message);
      expect((await api.getTopic(admin, topic.id)).message_count).toBe(2);
    });

    it.each([
      ['the author', () => stack.token('bea')],
      ['a moderator', () => moderator],
      ['an admin', () => admin],
    ])('lets %s leave a tombstone', async (_caller, token) => {
      const { topic } = await api.createTopic(admin, forumId);
      const message = await api.reply(stack.token('bea'), topic.id, 'soon gone');

      const response = await remove(token(), topic.id, message.id);

      expect(response.status, response.text).toBe(200);
      const tombstone = { id: message.id, topic_id: topic.id, seq: message.seq, created_at: message.created_at, body_text: null, is_deleted: true };
      expect(response.body).toMatchObject(tombstone);
      expect(await messageAt(topic.id, message.seq)).toMatchObject(tombstone);
      const after = await api.getTopic(admin, topic.id);
      expect(after.message_count).toBe(1);
      expect(after.last_seq).toBe(2);
      expect(after.version).toBe(topic.version);
    });
  });

  describe('paging over tombstones', () => {
    const DELETED = [3, 4, 7];
    let topicId: string;
    const ids = new Map<number, string>();

    beforeAll(async () => {
      const { topic, message } = await api.createTopic(admin, forumId, { body_text: 'message 1' });
      topicId = topic.id;
      ids.set(1, message.id);
      for (let seq = 2; seq <= 10; seq += 1) {
        now += 1_000;
        ids.set(seq, (await api.reply(stack.token(`writer-${seq}`), topicId, `message ${seq}`)).id);
      }
      for (const seq of DELETED) {
        const response = await remove(moderator, topicId, ids.get(seq)!);
        expect(response.status, response.text).toBe(200);
      }
    });

    /** Pages through the topic in one direction and returns each page's seqs and cursor. */
    async function pages(direction: 'after' | 'before', limit: number): Promise<{ seqs: number[]; next: number; hasMore: boolean }[]> {
      const result: { seqs: number[]; next: number; hasMore: boolean }[] = [];
      let cursor = direction === 'after' ? 0 : 11;
      for (let index = 0; index < 20; index += 1) {
        const response = await api.messagesPage(stack.token('reader'), topicId, `${direction}_seq=${cursor}&limit=${limit}`);
        expect(response.status, response.text).toBe(200);
        const body = response.body as MessagePage;
        expect(body.last_seq).toBe(10);
        for (const seq of DELETED) expect(response.text).not.toContain(`message ${seq}"`);
        const next = direction === 'after' ? body.next_after_seq! : body.next_before_seq!;
        result.push({ seqs: body.messages.map((message) => message.seq), next, hasMore: body.has_more });
        if (!body.has_more) return result;
        cursor = next;
      }
      throw new Error('Paging did not end after 20 pages');
    }

    it('shows tombstones at their seq', async () => {
      const messages = await api.allMessages(stack.token('reader'), topicId);

      expect(messages.map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      for (const message of messages) {
        const deleted = DELETED.includes(message.seq);
        expect(message.id).toBe(ids.get(message.seq));
        expect(message.is_deleted).toBe(deleted);
        expect(message.body_text).toBe(deleted ? null : `message ${message.seq}`);
      }
    });

    it.each([
      ['after_seq, 3 a page', 'after', 3, [
        { seqs: [1, 2, 3], next: 3, hasMore: true },
        { seqs: [4, 5, 6], next: 6, hasMore: true },
        { seqs: [7, 8, 9], next: 9, hasMore: true },
        { seqs: [10], next: 10, hasMore: false },
      ]],
      ['after_seq, 5 a page', 'after', 5, [
        { seqs: [1, 2, 3, 4, 5], next: 5, hasMore: true },
        { seqs: [6, 7, 8, 9, 10], next: 10, hasMore: false },
      ]],
      ['before_seq, 3 a page', 'before', 3, [
        { seqs: [10, 9, 8], next: 8, hasMore: true },
        { seqs: [7, 6, 5], next: 5, hasMore: true },
        { seqs: [4, 3, 2], next: 2, hasMore: true },
        { seqs: [1], next: 1, hasMore: false },
      ]],
      ['before_seq, 5 a page', 'before', 5, [
        { seqs: [10, 9, 8, 7, 6], next: 6, hasMore: true },
        { seqs: [5, 4, 3, 2, 1], next: 1, hasMore: false },
      ]],
    ] as const)('pages by %s over every seq', async (_name, direction, limit, expected) => {
      const result = await pages(direction, limit);

      expect(result).toEqual(expected);
    });

    it('counts live messages only', async () => {
      const topic = await api.getTopic(admin, topicId);
      const again = await remove(moderator, topicId, ids.get(3)!);
      const afterRepeat = await api.getTopic(admin, topicId);

      expect(topic.message_count).toBe(7);
      expect(topic.last_seq).toBe(10);
      expect(again.status).toBeLessThan(500);
      expect(afterRepeat.message_count).toBe(7);
    });
  });
});
