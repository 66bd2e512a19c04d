import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../lib/table-definitions.js';
import { startTestStack, type RequestOptions, type TestStack } from '../support/stack.js';

interface BadRequest {
  readonly name: string;
  readonly method: string;
  /** `{channelId}` and `{postId}` are filled in. */
  readonly path: string;
  readonly options: RequestOptions;
  /** The field the 400 must name. */
  readonly field: string;
}

const KEY = { 'idempotency-key': 'bad-input-key' };

const CASES: BadRequest[] = [
  { name: 'malformed JSON', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { rawBody: '{"body_text":', headers: { ...KEY, 'content-type': 'application/json' } }, field: 'body' },
  { name: 'missing body', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { headers: KEY }, field: 'body' },
  { name: 'JSON array body', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { body: ['x'], headers: KEY }, field: 'body' },
  { name: 'unknown field', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { body: { body_text: 'x', pinned: true }, headers: KEY }, field: 'pinned' },
  { name: 'wrong type', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { body: { body_text: 42 }, headers: KEY }, field: 'body_text' },
  { name: 'empty body_text', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { body: { body_text: '' }, headers: KEY }, field: 'body_text' },
  { name: 'oversized body_text', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { body: { body_text: 'x'.repeat(20_001) }, headers: KEY }, field: 'body_text' },
  { name: 'non-ASCII key', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { body: { body_text: 'x' }, headers: { 'idempotency-key': 'caf\u00e9' } }, field: 'Idempotency-Key' },
  { name: 'overlong key', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { body: { body_text: 'x' }, headers: { 'idempotency-key': 'k'.repeat(256) } }, field: 'Idempotency-Key' },
  { name: 'empty key', method: 'POST', path: '/api/admin/channels/{channelId}/posts', options: { body: { body_text: 'x' }, headers: { 'idempotency-key': '' } }, field: 'Idempotency-Key' },
  { name: 'bad channel id', method: 'POST', path: '/api/admin/channels/bad%20id/posts', options: { body: { body_text: 'x' }, headers: KEY }, field: 'channelId' },
  { name: 'import without published_at', method: 'POST', path: '/api/admin/channels/{channelId}/posts/import', options: { body: { body_text: 'x' } }, field: 'published_at' },
  { name: 'import with a non-ISO time', method: 'POST', path: '/api/admin/channels/{channelId}/posts/import', options: { body: { body_text: 'x', published_at: 'yesterday' } }, field: 'published_at' },
  { name: 'import in the future', method: 'POST', path: '/api/admin/channels/{channelId}/posts/import', options: { body: { body_text: 'x', published_at: '2999-01-01T00:00:00Z' } }, field: 'published_at' },
  { name: 'edit with unknown field', method: 'PATCH', path: '/api/admin/channels/{channelId}/posts/{postId}', options: { body: { body_text: 'x', seq: 9 } }, field: 'seq' },
  { name: 'edit of a malformed post id', method: 'PATCH', path: '/api/admin/channels/{channelId}/posts/p_0_zz', options: { body: { body_text: 'x' } }, field: 'postId' },
  { name: 'post id beyond safe integers', method: 'GET', path: '/api/mobile/channels/{channelId}/posts/p_9999999999999999_0000000000000000', options: {}, field: 'postId' },
  { name: 'delete of a post id beyond safe integers', method: 'DELETE', path: '/api/admin/channels/{channelId}/posts/p_9007199254740992_0000000000000000', options: {}, field: 'postId' },
  { name: 'channel without title', method: 'POST', path: '/api/admin/channels', options: { body: { description: 'x' } }, field: 'title' },
  { name: 'blank title', method: 'POST', path: '/api/admin/channels', options: { body: { title: '   ' } }, field: 'title' },
  { name: 'negative backfill', method: 'POST', path: '/api/admin/channels', options: { body: { title: 't', access_policy: { initial_backfill_days: null, resubscribe_backfill_days: -1, keep_archive_after_lapse: true } } }, field: 'access_policy.resubscribe_backfill_days' },
  { name: 'policy missing a field', method: 'POST', path: '/api/admin/channels', options: { body: { title: 't', access_policy: { initial_backfill_days: null } } }, field: 'access_policy.resubscribe_backfill_days' },
  { name: 'publisher_ids not a list', method: 'POST', path: '/api/admin/channels', options: { body: { title: 't', publisher_ids: 'alice' } }, field: 'publisher_ids' },
  { name: 'empty channel update', method: 'PATCH', path: '/api/admin/channels/{channelId}', options: { body: {} }, field: 'body' },
  { name: 'period ending before start', method: 'PUT', path: '/api/admin/access/{channelId}/users/alice', options: { body: { periods: [{ start: '2026-02-01T00:00:00Z', end: '2026-01-01T00:00:00Z' }] } }, field: 'periods' },
  { name: 'period without start', method: 'PUT', path: '/api/admin/access/{channelId}/users/alice', options: { body: { periods: [{ end: null }] } }, field: 'periods.0.start' },
  { name: 'limit 0', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?limit=0', options: {}, field: 'limit' },
  { name: 'limit 101', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?limit=101', options: {}, field: 'limit' },
  { name: 'limit not a number', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?limit=ten', options: {}, field: 'limit' },
  { name: 'negative after_seq', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?after_seq=-1', options: {}, field: 'after_seq' },
  { name: 'fractional after_seq', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?after_seq=1.5', options: {}, field: 'after_seq' },
  { name: '16-digit after_seq', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?after_seq=9999999999999999', options: {}, field: 'after_seq' },
  { name: 'non-integer before_seq', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?before_seq=1e3', options: {}, field: 'before_seq' },
  { name: 'both cursors', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?after_seq=1&before_seq=5', options: {}, field: 'before_seq' },
  { name: 'unknown query parameter', method: 'GET', path: '/api/mobile/channels/{channelId}/posts?offset=5', options: {}, field: 'offset' },
  { name: 'channel list limit', method: 'GET', path: '/api/mobile/channels?limit=500', options: {}, field: 'limit' },
];

describe('bad input', () => {
  let stack: TestStack;
  let admin: string;
  let channelId: string;
  let postId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    admin = stack.token('admin-1', { admin: true });
    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Input' } });
    channelId = channel.body.id;
    const post = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, { token: admin, body: { body_text: 'seed' }, headers: { 'idempotency-key': 'seed' } });
    postId = post.body.id;
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** Every item of every table, so a test can show that nothing was written. */
  async function snapshot(): Promise<Record<string, unknown[]>> {
    const entries = await Promise.all(
      TABLES.map(async (table) => {
        const { Items } = await stack.db.send(new ScanCommand({ TableName: stack.tables[table.id], ConsistentRead: true }));
        return [table.id, Items ?? []] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  it.each(CASES)('answers 400 to $name', async ({ method, path, options, field }) => {
    const before = await snapshot();

    const response = await stack.request(method, path.replace('{channelId}', channelId).replace('{postId}', postId), { token: admin, ...options });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.message.startsWith(`${field}: `), response.body.error.message).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it('answers 413 to a body over 256 KB', async () => {
    const before = await snapshot();

    const response = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
      token: admin,
      body: { body_text: 'x'.repeat(300_000) },
      headers: { 'idempotency-key': 'too-large' },
    });

    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
    expect(await snapshot()).toEqual(before);
  });

  it('answers 409 to an import before the latest post', async () => {
    const before = await snapshot();

    const response = await stack.request('POST', `/api/admin/channels/${channelId}/posts/import`, {
      token: admin,
      body: { body_text: 'late history', published_at: '2001-01-01T00:00:00Z' },
    });

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('conflict');
    expect(await snapshot()).toEqual(before);
  });

  it('answers 400 to malformed percent-encoding in the path', async () => {
    const response = await stack.request('GET', '/api/mobile/channels/%E0%A4%A');

    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe('path: contains malformed percent-encoding');
  });

  it('answers 404 to an unknown channel', async () => {
    const response = await stack.request('POST', '/api/admin/channels/ch_missing/posts', { token: admin, body: { body_text: 'x' }, headers: KEY });

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });
});
