import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type RequestOptions, type TestStack } from '../support/stack.js';
import { forumApi, iso, MINUTE_MS, nextWholeHour, snapshotTables } from './forum-api.js';

interface BadRequest {
  readonly name: string;
  readonly method: string;
  /** Placeholders in braces are filled in from the seeded ids; see `fill`. */
  readonly path: string;
  readonly options?: RequestOptions;
  /** The field the 400 must name; either name passes where two are reasonable. */
  readonly field: string | readonly string[];
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const FORGED_CURSOR = Buffer.from('{"other":1}').toString('base64url');
const NOT_JSON_CURSOR = Buffer.from('not-json').toString('base64url');
/** Known attributes with empty values, which DynamoDB itself rejects as a start key. */
const EMPTY_FORUM_CURSOR = Buffer.from('{"forum_id":""}').toString('base64url');
const EMPTY_TOPIC_CURSOR = Buffer.from('{"forum_id":"f_0000000000000000","topic_id":"","activity_key":""}').toString('base64url');
/** An unknown field name far longer than any error should repeat. */
const LONG_UNKNOWN_FIELD = 'k'.repeat(300);
const LONG_TITLE = 'x'.repeat(201);
const LONG_BODY = 'x'.repeat(20_001);
const LONG_DESCRIPTION = 'x'.repeat(2_001);

/** Bodies that are not a JSON object, for every route that takes one. */
function bodyCases(method: string, path: string): BadRequest[] {
  return [
    { name: 'malformed JSON', method, path, options: { rawBody: '{"title":', headers: JSON_HEADERS }, field: 'body' },
    { name: 'no body', method, path, field: 'body' },
    { name: 'a JSON array', method, path, options: { body: ['x'] }, field: 'body' },
  ];
}

const CREATE_FORUM = '/api/admin/forums';
const LIST_FORUMS = '/api/mobile/forums';
const TOPICS = '/api/mobile/forums/{forum}/topics';
const LINKED_TOPICS = '/api/mobile/forums/{linkedForum}/topics';
const TOPIC = '/api/mobile/topics/{topic}';
const MESSAGES = '/api/mobile/topics/{topic}/messages';
const MESSAGE = '/api/mobile/topics/{topic}/messages/{message}';
const LOCK = '/api/admin/topics/{topic}/lock';
const PIN = '/api/admin/topics/{topic}/pin';
const SLOW_MODE = '/api/admin/topics/{topic}/slow-mode';
const MUTE = '/api/admin/forums/{forum}/mutes/someone';

const topic = (title: unknown, bodyText: unknown = 'opening') => ({ body: { title, body_text: bodyText } });

const CASES: BadRequest[] = [
  // POST /api/admin/forums
  ...bodyCases('POST', CREATE_FORUM),
  { name: 'forum with an empty title', method: 'POST', path: CREATE_FORUM, options: { body: { title: '' } }, field: 'title' },
  { name: 'forum with a blank title', method: 'POST', path: CREATE_FORUM, options: { body: { title: ' \t ' } }, field: 'title' },
  { name: 'forum with an oversized title', method: 'POST', path: CREATE_FORUM, options: { body: { title: LONG_TITLE } }, field: 'title' },
  { name: 'forum without a title', method: 'POST', path: CREATE_FORUM, options: { body: { description: 'x' } }, field: 'title' },
  { name: 'forum title of the wrong type', method: 'POST', path: CREATE_FORUM, options: { body: { title: 5 } }, field: 'title' },
  { name: 'forum with an oversized description', method: 'POST', path: CREATE_FORUM, options: { body: { title: 't', description: LONG_DESCRIPTION } }, field: 'description' },
  { name: 'forum description of the wrong type', method: 'POST', path: CREATE_FORUM, options: { body: { title: 't', description: ['x'] } }, field: 'description' },
  { name: 'forum linked_channel_id of the wrong type', method: 'POST', path: CREATE_FORUM, options: { body: { title: 't', linked_channel_id: 7 } }, field: 'linked_channel_id' },
  { name: 'forum with a malformed linked_channel_id', method: 'POST', path: CREATE_FORUM, options: { body: { title: 't', linked_channel_id: 'bad id' } }, field: 'linked_channel_id' },
  { name: 'forum linked to an unknown channel', method: 'POST', path: CREATE_FORUM, options: { body: { title: 't', linked_channel_id: 'ch_missing' } }, field: 'linked_channel_id' },
  { name: 'forum with an unknown field', method: 'POST', path: CREATE_FORUM, options: { body: { title: 't', moderators: [] } }, field: 'moderators' },

  // GET /api/mobile/forums
  { name: 'forum list limit 0', method: 'GET', path: `${LIST_FORUMS}?limit=0`, field: 'limit' },
  { name: 'forum list limit 101', method: 'GET', path: `${LIST_FORUMS}?limit=101`, field: 'limit' },
  { name: 'forum list limit not a number', method: 'GET', path: `${LIST_FORUMS}?limit=ten`, field: 'limit' },
  { name: 'forum list cursor with bad characters', method: 'GET', path: `${LIST_FORUMS}?cursor=${encodeURIComponent('{"a":1}')}`, field: 'cursor' },
  { name: 'forum list forged cursor', method: 'GET', path: `${LIST_FORUMS}?cursor=${FORGED_CURSOR}`, field: 'cursor' },
  { name: 'forum list cursor that is not JSON', method: 'GET', path: `${LIST_FORUMS}?cursor=${NOT_JSON_CURSOR}`, field: 'cursor' },
  { name: 'forum list cursor with an empty key', method: 'GET', path: `${LIST_FORUMS}?cursor=${EMPTY_FORUM_CURSOR}`, field: 'cursor' },
  { name: 'forum list unknown parameter', method: 'GET', path: `${LIST_FORUMS}?offset=2`, field: 'offset' },

  // GET /api/mobile/forums/{forumId}/topics
  { name: 'topic list of a malformed forum id', method: 'GET', path: '/api/mobile/forums/bad/topics', field: 'forumId' },
  { name: 'topic list of a topic id', method: 'GET', path: '/api/mobile/forums/{topic}/topics', field: 'forumId' },
  { name: 'topic list limit 0', method: 'GET', path: `${TOPICS}?limit=0`, field: 'limit' },
  { name: 'topic list limit 101', method: 'GET', path: `${TOPICS}?limit=101`, field: 'limit' },
  { name: 'topic list limit negative', method: 'GET', path: `${TOPICS}?limit=-1`, field: 'limit' },
  { name: 'topic list cursor with bad characters', method: 'GET', path: `${TOPICS}?cursor=a.b`, field: 'cursor' },
  { name: 'topic list forged cursor', method: 'GET', path: `${TOPICS}?cursor=${FORGED_CURSOR}`, field: 'cursor' },
  { name: 'topic list cursor that is not JSON', method: 'GET', path: `${TOPICS}?cursor=${NOT_JSON_CURSOR}`, field: 'cursor' },
  { name: 'topic list cursor with empty keys', method: 'GET', path: `${TOPICS}?cursor=${EMPTY_TOPIC_CURSOR}`, field: 'cursor' },
  { name: 'topic list unknown parameter', method: 'GET', path: `${TOPICS}?after_seq=1`, field: 'after_seq' },

  // POST /api/mobile/forums/{forumId}/topics
  ...bodyCases('POST', TOPICS),
  { name: 'new topic in a malformed forum id', method: 'POST', path: '/api/mobile/forums/f_XYZ/topics', options: topic('t'), field: 'forumId' },
  { name: 'new topic with an empty title', method: 'POST', path: TOPICS, options: topic(''), field: 'title' },
  { name: 'new topic with a blank title', method: 'POST', path: TOPICS, options: topic('   '), field: 'title' },
  { name: 'new topic with an oversized title', method: 'POST', path: TOPICS, options: topic(LONG_TITLE), field: 'title' },
  { name: 'new topic title of the wrong type', method: 'POST', path: TOPICS, options: topic(null), field: 'title' },
  { name: 'new topic without a title', method: 'POST', path: TOPICS, options: { body: { body_text: 'x' } }, field: 'title' },
  { name: 'new topic with an empty body_text', method: 'POST', path: TOPICS, options: topic('t', ''), field: 'body_text' },
  { name: 'new topic with an oversized body_text', method: 'POST', path: TOPICS, options: topic('t', LONG_BODY), field: 'body_text' },
  { name: 'new topic body_text of the wrong type', method: 'POST', path: TOPICS, options: topic('t', { text: 'x' }), field: 'body_text' },
  { name: 'new topic without body_text', method: 'POST', path: TOPICS, options: { body: { title: 't' } }, field: 'body_text' },
  { name: 'new topic with an unknown field', method: 'POST', path: TOPICS, options: { body: { title: 't', body_text: 'x', pinned: true } }, field: 'pinned' },
  { name: 'new topic post_id of the wrong type', method: 'POST', path: LINKED_TOPICS, options: { body: { title: 't', body_text: 'x', post_id: 12 } }, field: 'post_id' },
  { name: 'new topic with a malformed post_id', method: 'POST', path: LINKED_TOPICS, options: { body: { title: 't', body_text: 'x', post_id: 'p_x' } }, field: 'post_id' },
  { name: 'post_id in an unlinked forum', method: 'POST', path: TOPICS, options: { body: { title: 't', body_text: 'x', post_id: '{linkedPost}' } }, field: 'post_id' },
  { name: 'post_id of another channel', method: 'POST', path: LINKED_TOPICS, options: { body: { title: 't', body_text: 'x', post_id: '{otherPost}' } }, field: 'post_id' },
  { name: 'post_id that does not exist', method: 'POST', path: LINKED_TOPICS, options: { body: { title: 't', body_text: 'x', post_id: 'p_999_0000000000000000' } }, field: 'post_id' },
  { name: 'new topic with a non-ASCII Idempotency-Key', method: 'POST', path: TOPICS, options: { ...topic('t'), headers: { 'idempotency-key': 'caf\u00e9' } }, field: 'Idempotency-Key' },

  // GET /api/mobile/topics/{topicId}
  { name: 'topic with a malformed id', method: 'GET', path: '/api/mobile/topics/bad', field: 'topicId' },
  { name: 'topic with a forum id', method: 'GET', path: '/api/mobile/topics/{forum}', field: 'topicId' },
  { name: 'topic id in upper case', method: 'GET', path: '/api/mobile/topics/t_ABCDEF0123456789', field: 'topicId' },

  // GET /api/mobile/topics/{topicId}/messages
  { name: 'messages of a malformed topic id', method: 'GET', path: '/api/mobile/topics/t_1/messages', field: 'topicId' },
  { name: 'message page limit 0', method: 'GET', path: `${MESSAGES}?limit=0`, field: 'limit' },
  { name: 'message page limit 101', method: 'GET', path: `${MESSAGES}?limit=101`, field: 'limit' },
  { name: 'message page limit not a number', method: 'GET', path: `${MESSAGES}?limit=1e1`, field: 'limit' },
  { name: 'negative after_seq', method: 'GET', path: `${MESSAGES}?after_seq=-1`, field: 'after_seq' },
  { name: 'fractional after_seq', method: 'GET', path: `${MESSAGES}?after_seq=1.5`, field: 'after_seq' },
  { name: 'after_seq beyond safe integers', method: 'GET', path: `${MESSAGES}?after_seq=9999999999999999`, field: 'after_seq' },
  { name: 'non-integer before_seq', method: 'GET', path: `${MESSAGES}?before_seq=abc`, field: 'before_seq' },
  { name: 'after_seq with before_seq', method: 'GET', path: `${MESSAGES}?after_seq=1&before_seq=5`, field: ['before_seq', 'after_seq'] },
  { name: 'message page cursor parameter', method: 'GET', path: `${MESSAGES}?cursor=abc`, field: 'cursor' },

  // POST /api/mobile/topics/{topicId}/messages
  ...bodyCases('POST', MESSAGES),
  { name: 'message in a malformed topic id', method: 'POST', path: '/api/mobile/topics/topic-1/messages', options: { body: { body_text: 'x' } }, field: 'topicId' },
  { name: 'message with an empty body_text', method: 'POST', path: MESSAGES, options: { body: { body_text: '' } }, field: 'body_text' },
  { name: 'message with an oversized body_text', method: 'POST', path: MESSAGES, options: { body: { body_text: LONG_BODY } }, field: 'body_text' },
  { name: 'message body_text of the wrong type', method: 'POST', path: MESSAGES, options: { body: { body_text: 42 } }, field: 'body_text' },
  { name: 'message without body_text', method: 'POST', path: MESSAGES, options: { body: {} }, field: 'body_text' },
  { name: 'message with an unknown field', method: 'POST', path: MESSAGES, options: { body: { body_text: 'x', seq: 7 } }, field: 'seq' },
  {
    name: 'message with a very long unknown field',
    method: 'POST',
    path: MESSAGES,
    options: { body: { body_text: 'x', [LONG_UNKNOWN_FIELD]: 1 } },
    field: `${LONG_UNKNOWN_FIELD.slice(0, 100)}...`,
  },
  { name: 'message with an overlong Idempotency-Key', method: 'POST', path: MESSAGES, options: { body: { body_text: 'x' }, headers: { 'idempotency-key': 'k'.repeat(256) } }, field: 'Idempotency-Key' },

  // PATCH /api/mobile/topics/{topicId}/messages/{messageId}
  ...bodyCases('PATCH', MESSAGE),
  { name: 'edit in a malformed topic id', method: 'PATCH', path: '/api/mobile/topics/bad/messages/{message}', options: { body: { body_text: 'x' } }, field: 'topicId' },
  { name: 'edit of a malformed message id', method: 'PATCH', path: '/api/mobile/topics/{topic}/messages/m_0_zz', options: { body: { body_text: 'x' } }, field: 'messageId' },
  { name: 'edit of a post id', method: 'PATCH', path: '/api/mobile/topics/{topic}/messages/{linkedPost}', options: { body: { body_text: 'x' } }, field: 'messageId' },
  { name: 'edit of a message id beyond safe integers', method: 'PATCH', path: '/api/mobile/topics/{topic}/messages/m_9999999999999999_0000000000000000', options: { body: { body_text: 'x' } }, field: 'messageId' },
  { name: 'edit with an empty body_text', method: 'PATCH', path: MESSAGE, options: { body: { body_text: '' } }, field: 'body_text' },
  { name: 'edit with an oversized body_text', method: 'PATCH', path: MESSAGE, options: { body: { body_text: LONG_BODY } }, field: 'body_text' },
  { name: 'edit body_text of the wrong type', method: 'PATCH', path: MESSAGE, options: { body: { body_text: true } }, field: 'body_text' },
  { name: 'edit with an unknown field', method: 'PATCH', path: MESSAGE, options: { body: { body_text: 'x', author_id: 'me' } }, field: 'author_id' },

  // DELETE /api/mobile/topics/{topicId}/messages/{messageId}
  { name: 'delete in a malformed topic id', method: 'DELETE', path: '/api/mobile/topics/bad/messages/{message}', field: 'topicId' },
  { name: 'delete of a malformed message id', method: 'DELETE', path: '/api/mobile/topics/{topic}/messages/bad', field: 'messageId' },
  { name: 'delete of a message id with seq 0', method: 'DELETE', path: '/api/mobile/topics/{topic}/messages/m_0_0000000000000000', field: 'messageId' },

  // PUT /api/admin/topics/{topicId}/lock and /pin
  ...bodyCases('PUT', LOCK),
  { name: 'lock of a malformed topic id', method: 'PUT', path: '/api/admin/topics/bad/lock', options: { body: { locked: true } }, field: 'topicId' },
  { name: 'lock as a string', method: 'PUT', path: LOCK, options: { body: { locked: 'true' } }, field: 'locked' },
  { name: 'lock without locked', method: 'PUT', path: LOCK, options: { body: {} }, field: 'locked' },
  { name: 'lock with an unknown field', method: 'PUT', path: LOCK, options: { body: { locked: true, reason: 'x' } }, field: 'reason' },
  ...bodyCases('PUT', PIN),
  { name: 'pin of a malformed topic id', method: 'PUT', path: '/api/admin/topics/{forum}/pin', options: { body: { pinned: true } }, field: 'topicId' },
  { name: 'pin as a number', method: 'PUT', path: PIN, options: { body: { pinned: 1 } }, field: 'pinned' },
  { name: 'pin without pinned', method: 'PUT', path: PIN, options: { body: { locked: true } }, field: ['pinned', 'locked'] },

  // PUT /api/admin/topics/{topicId}/slow-mode
  ...bodyCases('PUT', SLOW_MODE),
  { name: 'slow mode of a malformed topic id', method: 'PUT', path: '/api/admin/topics/bad/slow-mode', options: { body: { seconds: 5 } }, field: 'topicId' },
  { name: 'slow mode of -1 seconds', method: 'PUT', path: SLOW_MODE, options: { body: { seconds: -1 } }, field: 'seconds' },
  { name: 'slow mode of 86401 seconds', method: 'PUT', path: SLOW_MODE, options: { body: { seconds: 86_401 } }, field: 'seconds' },
  { name: 'slow mode of 1.5 seconds', method: 'PUT', path: SLOW_MODE, options: { body: { seconds: 1.5 } }, field: 'seconds' },
  { name: 'slow mode seconds as a string', method: 'PUT', path: SLOW_MODE, options: { body: { seconds: '10' } }, field: 'seconds' },
  { name: 'slow mode without seconds', method: 'PUT', path: SLOW_MODE, options: { body: {} }, field: 'seconds' },
  { name: 'slow mode with an unknown field', method: 'PUT', path: SLOW_MODE, options: { body: { seconds: 5, minutes: 1 } }, field: 'minutes' },

  // PUT /api/admin/forums/{forumId}/mutes/{userId}
  ...bodyCases('PUT', MUTE),
  { name: 'mute in a malformed forum id', method: 'PUT', path: '/api/admin/forums/bad/mutes/someone', options: { body: { until: '{future}' } }, field: 'forumId' },
  { name: 'mute of a user id with a space', method: 'PUT', path: '/api/admin/forums/{forum}/mutes/some%20one', options: { body: { until: '{future}' } }, field: 'userId' },
  { name: 'mute until that is not a date', method: 'PUT', path: MUTE, options: { body: { until: 'tomorrow' } }, field: 'until' },
  { name: 'mute until as epoch seconds', method: 'PUT', path: MUTE, options: { body: { until: 4_102_444_800 } }, field: 'until' },
  { name: 'mute until in the past', method: 'PUT', path: MUTE, options: { body: { until: '{past}' } }, field: 'until' },
  { name: 'mute without until', method: 'PUT', path: MUTE, options: { body: { reason: 'spam' } }, field: 'until' },
  { name: 'mute reason of the wrong type', method: 'PUT', path: MUTE, options: { body: { until: '{future}', reason: 5 } }, field: 'reason' },
  { name: 'mute with an unknown field', method: 'PUT', path: MUTE, options: { body: { until: '{future}', forever: true } }, field: 'forever' },

  // DELETE /api/admin/forums/{forumId}/mutes/{userId}
  { name: 'unmute in a malformed forum id', method: 'DELETE', path: '/api/admin/forums/f_/mutes/someone', field: 'forumId' },
  { name: 'unmute of a user id with a space', method: 'DELETE', path: '/api/admin/forums/{forum}/mutes/some%20one', field: 'userId' },
];

describe('forum routes with bad input', () => {
  let stack: TestStack;
  const now = nextWholeHour();
  let admin: string;
  /** Values for the placeholders in paths and bodies. */
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => now });
    const api = forumApi(stack);
    admin = stack.token('admin-1', { admin: true });
    const linked = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Linked' } });
    const other = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Other' } });
    const publish = (channelId: string, key: string) =>
      stack.request('POST', `/api/admin/channels/${channelId}/posts`, { token: admin, body: { body_text: 'post' }, headers: { 'idempotency-key': key } });
    ids.linkedPost = (await publish(linked.body.id, 'linked-post')).body.id;
    ids.otherPost = (await publish(other.body.id, 'other-post')).body.id;
    ids.forum = await api.createForum(admin, { title: 'Open' });
    ids.linkedForum = await api.createForum(admin, { title: 'Linked', linked_channel_id: linked.body.id });
    const created = await api.createTopic(admin, ids.forum);
    ids.topic = created.topic.id;
    ids.message = created.message.id;
    ids.future = iso(now + MINUTE_MS);
    ids.past = iso(now - MINUTE_MS);
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** Replaces `{name}` placeholders with the seeded values. */
  function fill<T>(value: T): T {
    return JSON.parse(JSON.stringify(value).replace(/\{(\w+)\}/g, (placeholder, name: string) => ids[name] ?? placeholder)) as T;
  }

  it.each(CASES)('returns 400 for $name', async ({ method, path, options, field }) => {
    const before = await snapshotTables(stack);

    const response = await stack.request(method, fill(path), { token: admin, ...fill(options ?? {}) });

    expect(response.status, response.text).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    const fields = typeof field === 'string' ? [field] : field;
    const named = fields.some((name) => (response.body.error.message as string).startsWith(`${name}: `));
    expect(named, `${response.body.error.message} should name ${fields.join(' or ')}`).toBe(true);
    expect(await snapshotTables(stack)).toEqual(before);
  });

  it('accepts the valid twins of the rejected requests', async () => {
    const valid: [string, string, unknown?][] = [
      ['GET', `${LIST_FORUMS}?limit=100`],
      ['GET', `${TOPICS}?limit=1`],
      ['GET', `${MESSAGES}?after_seq=0&limit=100`],
      ['GET', `${MESSAGES}?before_seq=5&limit=1`],
      ['GET', TOPIC],
      ['POST', LINKED_TOPICS, { title: 'Discuss', body_text: 'x', post_id: '{linkedPost}' }],
      ['PUT', SLOW_MODE, { seconds: 86_400 }],
      ['PUT', SLOW_MODE, { seconds: 0 }],
      ['PUT', LOCK, { locked: false }],
      ['PUT', PIN, { pinned: false }],
      ['PUT', MUTE, { until: '{future}', reason: 'spam' }],
      ['DELETE', MUTE],
      ['PATCH', MESSAGE, { body_text: 'x'.repeat(20_000) }],
      ['POST', MESSAGES, { body_text: 'x'.repeat(20_000) }],
      ['POST', TOPICS, { title: 'x'.repeat(200), body_text: 'x' }],
      ['POST', CREATE_FORUM, { title: 'x'.repeat(200), description: 'x'.repeat(2_000) }],
      ['DELETE', MESSAGE],
    ];

    for (const [method, path, body] of valid) {
      const response = await stack.request(method, fill(path), { token: admin, ...(body !== undefined && { body: fill(body) }) });

      expect(response.status, `${method} ${path}: ${response.text}`).toBeLessThan(300);
    }
  });
});
