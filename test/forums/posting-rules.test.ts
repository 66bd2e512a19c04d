import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type ApiResult, type TestStack } from '../support/stack.js';
import { DAY_MS, forumApi, HOUR_MS, iso, MINUTE_MS, nextWholeHour, type ForumApi } from './forum-api.js';

/** Three messages or topics per user per minute, so the limit is reached in a few requests. */
const RATE_LIMIT = 3;
const RATE_WINDOW_SECONDS = 60;
const SLOW_MODE_SECONDS = 30;

describe('forum posting rules', () => {
  let stack: TestStack;
  let api: ForumApi;
  let now = nextWholeHour();
  let moderator: string;
  let admin: string;
  let forumId: string;
  let otherForumId: string;

  beforeAll(async () => {
    stack = await startTestStack({
      clock: () => now,
      environment: { FORUM_RATE_LIMIT_MESSAGES: String(RATE_LIMIT), FORUM_RATE_LIMIT_WINDOW_SECONDS: String(RATE_WINDOW_SECONDS) },
    });
    api = forumApi(stack);
    moderator = stack.token('mod-1', { moderator: true });
    admin = stack.token('admin-1', { admin: true });
    forumId = await api.createForum(admin, { title: 'Main' });
    otherForumId = await api.createForum(admin, { title: 'Elsewhere' });
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** Moves the clock to the next whole hour, so each test starts with empty rate-limit windows on a whole minute. */
  function startNextHour(): number {
    now = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
    return now;
  }

  /** Sends a moderator request and expects it to succeed. */
  async function moderate(method: string, path: string, body?: unknown): Promise<ApiResult> {
    const response = await stack.request(method, path, { token: moderator, ...(body !== undefined && { body }) });
    expect(response.status, `${method} ${path}: ${response.text}`).toBe(200);
    return response;
  }

  const lock = (topicId: string, locked: boolean) => moderate('PUT', `/api/admin/topics/${topicId}/lock`, { locked });
  const setSlowMode = (topicId: string, seconds: number) => moderate('PUT', `/api/admin/topics/${topicId}/slow-mode`, { seconds });
  const mute = (userId: string, until: number, forum = forumId) => moderate('PUT', `/api/admin/forums/${forum}/mutes/${userId}`, { until: iso(until), reason: 'flooding' });
  const unmute = (userId: string) => moderate('DELETE', `/api/admin/forums/${forumId}/mutes/${userId}`);
  const newTopic = async (forum = forumId): Promise<string> => (await api.createTopic(moderator, forum)).topic.id;
  const createTopicAs = (token: string, forum = forumId): Promise<ApiResult> =>
    stack.request('POST', `/api/mobile/forums/${forum}/topics`, { token, body: { title: 'User topic', body_text: 'opening' } });

  function expectRejected(response: ApiResult, status: number, code: string): void {
    expect(response.status, response.text).toBe(status);
    expect(response.body.error.code).toBe(code);
  }

  describe('locked topic', () => {
    it('rejects everyone until unlocked', async () => {
      startNextHour();
      const topicId = await newTopic();
      const lena = stack.token('lena');

      await lock(topicId, true);
      const locked = await api.getTopic(lena, topicId);
      const fromUser = await api.postMessage(lena, topicId, 'anyone there?');
      const fromModerator = await api.postMessage(moderator, topicId, 'moderator note');
      const fromAdmin = await api.postMessage(admin, topicId, 'admin note');
      const lastSeqWhileLocked = (await api.getTopic(lena, topicId)).last_seq;
      await lock(topicId, false);
      const unlocked = await api.getTopic(lena, topicId);
      const afterUnlock = await api.postMessage(lena, topicId, 'anyone there?');

      expect(locked.locked).toBe(true);
      expectRejected(fromUser, 409, 'conflict');
      expectRejected(fromModerator, 409, 'conflict');
      expectRejected(fromAdmin, 409, 'conflict');
      expect(lastSeqWhileLocked).toBe(1);
      expect(unlocked.locked).toBe(false);
      expect(afterUnlock.status, afterUnlock.text).toBe(201);
      expect(afterUnlock.body.seq).toBe(2);
    });

    it('rejects edits, allows deletes', async () => {
      startNextHour();
      const topicId = await newTopic();
      const leo = stack.token('leo');
      const message = await api.reply(leo, topicId, 'original');

      await lock(topicId, true);
      const edit = await stack.request('PATCH', `/api/mobile/topics/${topicId}/messages/${message.id}`, { token: leo, body: { body_text: 'changed' } });
      const afterEdit = await api.allMessages(moderator, topicId);
      const remove = await stack.request('DELETE', `/api/mobile/topics/${topicId}/messages/${message.id}`, { token: leo });
      const afterDelete = await api.allMessages(moderator, topicId);

      expectRejected(edit, 409, 'conflict');
      expect(afterEdit[1]).toEqual(message);
      expect(remove.status, remove.text).toBe(200);
      expect(afterDelete[1]).toMatchObject({ id: message.id, seq: 2, body_text: null, is_deleted: true });
    });

    it('rejects an edit racing the lock', async () => {
      startNextHour();
      const topicId = await newTopic();
      const lara = stack.token('lara');
      const message = await api.reply(lara, topicId, 'original');
      // The lock commits after the edit request has read the topic and before it writes.
      let locked = false;
      stack.db.middlewareStack.add(
        (next) => async (args) => {
          const isEditWrite = JSON.stringify(args.input).includes('edited_at');
          if (isEditWrite && !locked) {
            locked = true;
            await lock(topicId, true);
          }
          return next(args);
        },
        { step: 'initialize', name: 'lockBeforeEditWrite' },
      );

      let edit: ApiResult;
      try {
        edit = await stack.request('PATCH', `/api/mobile/topics/${topicId}/messages/${message.id}`, { token: lara, body: { body_text: 'changed' } });
      } finally {
        stack.db.middlewareStack.remove('lockBeforeEditWrite');
      }

      expect(locked).toBe(true);
      expectRejected(edit, 409, 'conflict');
      expect((await api.allMessages(moderator, topicId))[1]).toEqual(message);
    });
  });

  describe('mute', () => {
    it('rejects the user until it ends', async () => {
      const start = startNextHour();
      const topicId = await newTopic();
      const otherTopicId = await newTopic(otherForumId);
      const until = start + 10 * MINUTE_MS;
      const mia = stack.token('mia');

      await mute('mia', until);
      const message = await api.postMessage(mia, topicId, 'hello');
      const topic = await createTopicAs(mia);
      const elsewhere = await api.postMessage(mia, otherTopicId, 'hello elsewhere');
      now = until - 1;
      const justBefore = await api.postMessage(mia, topicId, 'hello');
      now = until + 1;
      const after = await api.postMessage(mia, topicId, 'hello again');

      expectRejected(message, 403, 'forbidden');
      expect(message.body.error.message).toContain(iso(until));
      expectRejected(topic, 403, 'forbidden');
      expect(elsewhere.status, elsewhere.text).toBe(201);
      expectRejected(justBefore, 403, 'forbidden');
      expect(after.status, after.text).toBe(201);
      expect(after.body.seq).toBe(2);
    });

    it('ends early when a moderator unmutes', async () => {
      const start = startNextHour();
      const topicId = await newTopic();
      const max = stack.token('max');

      await mute('max', start + DAY_MS);
      const muted = await api.postMessage(max, topicId, 'hello');
      await unmute('max');
      const unmuted = await api.postMessage(max, topicId, 'hello');

      expectRejected(muted, 403, 'forbidden');
      expect(unmuted.status, unmuted.text).toBe(201);
    });
  });

  describe('slow mode', () => {
    it('returns 429 with seconds left', async () => {
      const start = startNextHour();
      const topicId = await newTopic();
      const sam = stack.token('sam');

      await setSlowMode(topicId, SLOW_MODE_SECONDS);
      const slowTopic = await api.getTopic(sam, topicId);
      const first = await api.postMessage(sam, topicId, 'one');
      now = start + 10_500;
      const early = await api.postMessage(sam, topicId, 'two');
      now = start + 29_999;
      const almost = await api.postMessage(sam, topicId, 'two');
      now = start + 10_500 + Number(early.headers.get('retry-after')) * 1_000;
      const onTime = await api.postMessage(sam, topicId, 'two');
      const right = await api.postMessage(sam, topicId, 'three');

      expect(slowTopic.slow_mode_seconds).toBe(SLOW_MODE_SECONDS);
      expect(first.status, first.text).toBe(201);
      expectRejected(early, 429, 'rate_limited');
      // 19.5 s are left, rounded up.
      expect(early.headers.get('retry-after')).toBe('20');
      expectRejected(almost, 429, 'rate_limited');
      expect(almost.headers.get('retry-after')).toBe('1');
      expect(onTime.status, onTime.text).toBe(201);
      expectRejected(right, 429, 'rate_limited');
      expect(right.headers.get('retry-after')).toBe(String(SLOW_MODE_SECONDS));
      expect((await api.getTopic(sam, topicId)).last_seq).toBe(3);
    });

    it('counts the message before it started', async () => {
      const start = startNextHour();
      const topicId = await newTopic();
      const una = stack.token('una');

      const before = await api.postMessage(una, topicId, 'one');
      now = start + 5_000;
      await setSlowMode(topicId, SLOW_MODE_SECONDS);
      const after = await api.postMessage(una, topicId, 'two');

      expect(before.status, before.text).toBe(201);
      expectRejected(after, 429, 'rate_limited');
      // 25 s are left of the 30 s since the message before slow mode started.
      expect(after.headers.get('retry-after')).toBe('25');
    });

    it('applies per topic', async () => {
      startNextHour();
      const slowTopicId = await newTopic();
      const plainTopicId = await newTopic();
      const tom = stack.token('tom');
      await setSlowMode(slowTopicId, SLOW_MODE_SECONDS);

      const slow = await api.postMessage(tom, slowTopicId, 'one');
      const plain = await api.postMessage(tom, plainTopicId, 'one');
      const slowAgain = await api.postMessage(tom, slowTopicId, 'two');

      expect(slow.status).toBe(201);
      expect(plain.status, plain.text).toBe(201);
      expectRejected(slowAgain, 429, 'rate_limited');
    });

    it('turns off with 0 seconds', async () => {
      startNextHour();
      const topicId = await newTopic();
      const sue = stack.token('sue');
      await setSlowMode(topicId, SLOW_MODE_SECONDS);
      await api.reply(sue, topicId, 'one');

      const limited = await api.postMessage(sue, topicId, 'two');
      await setSlowMode(topicId, 0);
      const free = await api.postMessage(sue, topicId, 'two');

      expectRejected(limited, 429, 'rate_limited');
      expect(free.status, free.text).toBe(201);
      expect((await api.getTopic(sue, topicId)).slow_mode_seconds).toBe(0);
    });

    it('exempts moderators and admins', async () => {
      startNextHour();
      const topicId = await newTopic();
      await setSlowMode(topicId, SLOW_MODE_SECONDS);

      const responses = [
        await api.postMessage(moderator, topicId, 'one'),
        await api.postMessage(moderator, topicId, 'two'),
        await api.postMessage(admin, topicId, 'three'),
        await api.postMessage(admin, topicId, 'four'),
      ];

      expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201]);
    });
  });

  describe('rate limit', () => {
    it('returns 429 until the window ends', async () => {
      const start = startNextHour();
      const topicId = await newTopic();
      const otherTopicId = await newTopic(otherForumId);
      const rita = stack.token('rita');

      const topic = await createTopicAs(rita);
      now = start + 1_000;
      const second = await api.postMessage(rita, otherTopicId, 'two');
      now = start + 2_000;
      const third = await api.postMessage(rita, topicId, 'three');
      now = start + 20_200;
      const fourth = await api.postMessage(rita, topicId, 'four');
      now = start + 59_999;
      const lastMoment = await api.postMessage(rita, topicId, 'four');
      const topicAtLimit = await createTopicAs(rita);
      const seqAtLimit = (await api.getTopic(rita, topicId)).last_seq;
      now = start + RATE_WINDOW_SECONDS * 1_000;
      const nextWindow = await api.postMessage(rita, topicId, 'four');

      expect([topic.status, second.status, third.status]).toEqual([201, 201, 201]);
      expectRejected(fourth, 429, 'rate_limited');
      // The window started at `start`: 39.8 s are left, rounded up.
      expect(fourth.headers.get('retry-after')).toBe('40');
      expectRejected(lastMoment, 429, 'rate_limited');
      expect(lastMoment.headers.get('retry-after')).toBe('1');
      expectRejected(topicAtLimit, 429, 'rate_limited');
      expect(topicAtLimit.headers.get('retry-after')).toBe('1');
      expect(seqAtLimit).toBe(2);
      expect(nextWindow.status, nextWindow.text).toBe(201);
    });

    it('counts edits', async () => {
      startNextHour();
      const topicId = await newTopic();
      const eve = stack.token('eve');
      const message = await api.reply(eve, topicId, 'one');
      const edits: ApiResult[] = [];
      for (let index = 0; index < RATE_LIMIT; index += 1) {
        edits.push(await stack.request('PATCH', `/api/mobile/topics/${topicId}/messages/${message.id}`, { token: eve, body: { body_text: `edit ${index}` } }));
      }

      // The reply and two edits fill the window of three; the third edit is over it.
      expect(edits.slice(0, RATE_LIMIT - 1).map((response) => response.status)).toEqual(Array(RATE_LIMIT - 1).fill(200));
      expectRejected(edits[RATE_LIMIT - 1]!, 429, 'rate_limited');
    });

    it('replays an accepted request at the limit', async () => {
      startNextHour();
      const topicId = await newTopic();
      const rose = stack.token('rose');
      const accepted = await api.postMessage(rose, topicId, 'one', 'rose-1');
      await api.reply(rose, topicId, 'two');
      await api.reply(rose, topicId, 'three');

      const overLimit = await api.postMessage(rose, topicId, 'four', 'rose-4');
      const retry = await api.postMessage(rose, topicId, 'one', 'rose-1');

      expectRejected(overLimit, 429, 'rate_limited');
      expect(retry.status, retry.text).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.text).toBe(accepted.text);
    });

    it('exempts moderators and admins', async () => {
      startNextHour();
      const topicId = await newTopic();

      const responses: ApiResult[] = [];
      for (let index = 0; index < RATE_LIMIT + 2; index += 1) {
        responses.push(await api.postMessage(moderator, topicId, `moderator ${index}`));
        responses.push(await api.postMessage(admin, topicId, `admin ${index}`));
      }

      expect(responses.map((response) => response.status)).toEqual(Array(2 * (RATE_LIMIT + 2)).fill(201));
    });
  });

  describe('rule order', () => {
    it('checks the lock before the mute', async () => {
      const start = startNextHour();
      const topicId = await newTopic();
      await mute('lou', start + DAY_MS);
      await lock(topicId, true);

      const response = await api.postMessage(stack.token('lou'), topicId, 'hello');

      expectRejected(response, 409, 'conflict');
    });

    it('checks the mute before slow mode', async () => {
      const start = startNextHour();
      const topicId = await newTopic();
      const mona = stack.token('mona');
      await setSlowMode(topicId, SLOW_MODE_SECONDS);
      await api.reply(mona, topicId, 'one');
      await mute('mona', start + DAY_MS);

      const response = await api.postMessage(mona, topicId, 'two');

      expectRejected(response, 403, 'forbidden');
    });

    it('checks slow mode before the rate limit', async () => {
      const start = startNextHour();
      const slowTopicId = await newTopic();
      const plainTopicId = await newTopic();
      const otto = stack.token('otto');
      await setSlowMode(slowTopicId, SLOW_MODE_SECONDS);
      await api.reply(otto, slowTopicId, 'one');
      now = start + 1_000;
      await api.reply(otto, plainTopicId, 'two');
      now = start + 2_000;
      await api.reply(otto, plainTopicId, 'three');
      now = start + 3_000;

      const response = await api.postMessage(otto, slowTopicId, 'four');

      expectRejected(response, 429, 'rate_limited');
      // Slow mode has 27 s left and the rate window 57 s, so the slow-mode rule sets Retry-After.
      expect(response.headers.get('retry-after')).toBe('27');
    });
  });
});
