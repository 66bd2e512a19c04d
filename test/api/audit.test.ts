import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

describe('GET /api/admin/audit', () => {
  let stack: TestStack;
  let admin: string;
  let channelId: string;
  let now = Date.parse('2026-05-01T10:00:00.000Z');
  const instants: Record<string, string> = {};

  beforeAll(async () => {
    // Every clock read moves one second on, so records never share a timestamp.
    stack = await startTestStack({ clock: () => (now += 1_000) });
    admin = stack.token('admin-1', { admin: true });
    const other = stack.token('admin-2', { admin: true });
    channelId = (await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Audited' } })).body.id;
    const post = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, { token: admin, body: { body_text: 'first' }, headers: { 'idempotency-key': 'a1' } });
    instants.afterPublish = new Date(now + 500).toISOString();
    await stack.request('PATCH', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: other, body: { body_text: 'fixed' } });
    await stack.request('PUT', `/api/admin/access/${channelId}/users/alice`, { token: other, body: { periods: [] } });
    instants.afterAccess = new Date(now + 500).toISOString();
    await stack.request('DELETE', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: admin });
  });

  afterAll(async () => {
    await stack.stop();
  });

  async function audit(query: string, token = admin) {
    return stack.request('GET', `/api/admin/audit?${query}`, { token });
  }

  const target = (): string => encodeURIComponent(`channel#${channelId}`);

  it('lists a target newest first', async () => {
    const response = await audit(`target=${target()}`);

    expect(response.status).toBe(200);
    expect(response.body.records.map((record: { action: string }) => record.action)).toEqual([
      'post.deleted',
      'access.periods_replaced',
      'post.edited',
      'post.published',
      'channel.created',
    ]);
    expect(response.body.records[1]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      target: `channel#${channelId}`,
      actor_id: 'admin-2',
      action: 'access.periods_replaced',
      recorded_at: expect.stringMatching(/^2026-05-01T10:\d\d:\d\d\.000Z$/),
      details: { user_id: 'alice', period_count: 0 },
    });
    expect(response.body.next_cursor).toBeNull();
  });

  it('filters by actor', async () => {
    const byActor = await audit('actor=admin-2');
    const both = await audit(`target=${target()}&actor=admin-1`);

    expect(byActor.body.records.map((record: { action: string }) => record.action)).toEqual(['access.periods_replaced', 'post.edited']);
    expect(both.body.records.map((record: { action: string }) => record.action)).toEqual(['post.deleted', 'post.published', 'channel.created']);
  });

  it('filters by time range', async () => {
    const response = await audit(`target=${target()}&from=${instants.afterPublish}&to=${instants.afterAccess}`);

    expect(response.body.records.map((record: { action: string }) => record.action)).toEqual(['access.periods_replaced', 'post.edited']);
  });

  it('pages with next_cursor', async () => {
    const first = await audit(`target=${target()}&limit=2`);
    const second = await audit(`target=${target()}&limit=2&cursor=${first.body.next_cursor}`);
    const third = await audit(`target=${target()}&limit=2&cursor=${second.body.next_cursor}`);

    const actions = [...first.body.records, ...second.body.records, ...third.body.records].map((record: { action: string }) => record.action);
    expect(actions).toEqual(['post.deleted', 'access.periods_replaced', 'post.edited', 'post.published', 'channel.created']);
    expect(third.body.records).toHaveLength(1);
  });

  it.each([
    ['no target or actor', '', 'target'],
    ['from after to', 'actor=admin-1&from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z', 'from'],
    ['a forged cursor', `actor=admin-1&cursor=${Buffer.from('{"other":1}').toString('base64url')}`, 'cursor'],
    ['a cursor that is not JSON', 'actor=admin-1&cursor=bm90LWpzb24', 'cursor'],
    ['an unknown filter', 'actor=admin-1&action=post.deleted', 'action'],
  ])('answers 400 to %s', async (_name, query, field) => {
    const response = await audit(query);

    expect(response.status).toBe(400);
    expect(response.body.error.message.startsWith(`${field}`)).toBe(true);
  });

  it('answers 403 to a reader', async () => {
    const response = await audit('actor=admin-1', stack.token('reader-1'));

    expect(response.status).toBe(403);
  });
});
