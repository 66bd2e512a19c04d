import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishedKey } from '../../lambdas/domain/posts.js';
import { measureDynamoUsage } from '../support/dynamo-usage.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const WORKED_EXAMPLE_POLICY = { initial_backfill_days: null, resubscribe_backfill_days: 7, keep_archive_after_lapse: true };

/** Noon UTC of every day from `first` to `last` (inclusive), as YYYY-MM-DD. */
function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = Date.parse(`${first}T00:00:00Z`); day <= Date.parse(`${last}T00:00:00Z`); day += 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

describe('worked example over HTTP', () => {
  let stack: TestStack;
  let admin: string;
  let alice: string;
  let channelId: string;
  let frozenAt: number | undefined;
  const postIdByDay = new Map<string, string>();

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => frozenAt ?? Date.now() });
    admin = stack.token('admin-1', { admin: true });
    alice = stack.token('alice');
    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Signals', access_policy: WORKED_EXAMPLE_POLICY } });
    channelId = channel.body.id;
  });

  afterAll(async () => {
    await stack.stop();
  });

  async function importDays(days: string[]): Promise<void> {
    for (const day of days) {
      const response = await stack.request('POST', `/api/admin/channels/${channelId}/posts/import`, {
        token: admin,
        body: { body_text: `signal of ${day}`, published_at: `${day}T12:00:00.000Z` },
      });
      expect(response.status).toBe(201);
      postIdByDay.set(day, response.body.id);
    }
  }

  async function setPeriods(periods: { start: string; end: string | null }[]): Promise<void> {
    const response = await stack.request('PUT', `/api/admin/access/${channelId}/users/alice`, { token: admin, body: { periods } });
    expect(response.status).toBe(200);
  }

  /** Every post alice can page through, as the day it was published. */
  async function visibleDays(limit: number): Promise<string[]> {
    const days: string[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await stack.request('GET', `/api/mobile/channels/${channelId}/posts?after_seq=${afterSeq}&limit=${limit}`, { token: alice });
      expect(page.status).toBe(200);
      days.push(...page.body.posts.map((post: { published_at: string }) => post.published_at.slice(0, 10)));
      if (!page.body.has_more) return days;
      afterSeq = page.body.next_after_seq;
    }
  }

  async function readDay(day: string) {
    return stack.request('GET', `/api/mobile/channels/${channelId}/posts/${postIdByDay.get(day)}`, { token: alice });
  }

  it('shows Jan 1-31 and Feb 13 onwards on Mar 1', async () => {
    await importDays(daysBetween('2026-01-01', '2026-03-01'));
    await setPeriods([
      { start: '2026-01-01T00:00:00.000Z', end: '2026-01-31T23:59:59.999Z' },
      { start: '2026-02-20T00:00:00.000Z', end: null },
    ]);
    frozenAt = Date.parse('2026-03-01T18:00:00.000Z');

    const channel = await stack.request('GET', `/api/mobile/channels/${channelId}`, { token: alice });
    const pagedByTwenty = await visibleDays(20);
    const pagedByThree = await visibleDays(3);

    expect(channel.body.access).toEqual({
      mode: 'FULL',
      read_windows: [{ end: '2026-01-31T23:59:59.999Z' }, { start: '2026-02-13T00:00:00.000Z' }],
    });
    const expected = [...daysBetween('2026-01-01', '2026-01-31'), ...daysBetween('2026-02-13', '2026-03-01')];
    expect(expected).toHaveLength(48);
    expect(pagedByTwenty).toEqual(expected);
    expect(pagedByThree).toEqual(expected);
  });

  it('skips the hidden range in one page on Mar 1', async () => {
    frozenAt = Date.parse('2026-03-01T18:00:00.000Z');

    const page = await stack.request('GET', `/api/mobile/channels/${channelId}/posts?after_seq=30&limit=3`, { token: alice });

    expect(page.body.posts.map((post: { seq: number }) => post.seq)).toEqual([31, 44, 45]);
    expect(page.body.next_after_seq).toBe(45);
    expect(page.body.has_more).toBe(true);
  });

  it.each([
    ['2026-01-31', 200],
    ['2026-02-01', 403],
    ['2026-02-12', 403],
    ['2026-02-13', 200],
    ['2026-03-01', 200],
  ])('single read of %s on Mar 1 is %i', async (day, status) => {
    frozenAt = Date.parse('2026-03-01T18:00:00.000Z');

    const response = await readDay(day);

    expect(response.status).toBe(status);
    if (status === 403) {
      expect(response.body.error.code).toBe('forbidden');
      expect(response.text).not.toContain('signal of');
    }
  });

  it('keeps the windows as ARCHIVE_UNTIL after the second lapse', async () => {
    frozenAt = undefined;
    await importDays(daysBetween('2026-03-02', '2026-03-31'));
    await setPeriods([
      { start: '2026-01-01T00:00:00.000Z', end: '2026-01-31T23:59:59.999Z' },
      { start: '2026-02-20T00:00:00.000Z', end: '2026-03-20T23:59:59.999Z' },
    ]);
    frozenAt = Date.parse('2026-04-01T09:00:00.000Z');

    const channel = await stack.request('GET', `/api/mobile/channels/${channelId}`, { token: alice });
    const visible = await visibleDays(20);

    expect(channel.body.access).toEqual({
      mode: 'ARCHIVE_UNTIL',
      until: '2026-03-20T23:59:59.999Z',
      read_windows: [{ end: '2026-01-31T23:59:59.999Z' }, { start: '2026-02-13T00:00:00.000Z' }],
    });
    expect(visible).toEqual([...daysBetween('2026-01-01', '2026-01-31'), ...daysBetween('2026-02-13', '2026-03-20')]);
  });

  it.each([
    ['2026-02-05', 403],
    ['2026-02-13', 200],
    ['2026-03-20', 200],
    ['2026-03-21', 403],
    ['2026-03-31', 403],
  ])('single read of %s after the lapse is %i', async (day, status) => {
    frozenAt = Date.parse('2026-04-01T09:00:00.000Z');

    const response = await readDay(day);

    expect(response.status).toBe(status);
  });
});

describe('hidden range cost', () => {
  const HIDDEN_POSTS = 5_000;
  const VISIBLE_BEFORE = 10;
  const VISIBLE_AFTER = 20;
  const LAST_SEQ = VISIBLE_BEFORE + HIDDEN_POSTS + VISIBLE_AFTER;
  /** Post `seq` is published `seq` minutes after this instant. */
  const ORIGIN = Date.parse('2025-01-01T00:00:00.000Z');
  const minutes = (count: number): number => ORIGIN + count * 60_000;

  let stack: TestStack;
  let channelId: string;
  let reader: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const admin = stack.token('admin-1', { admin: true });
    reader = stack.token('reader-1');
    const channel = await stack.request('POST', '/api/admin/channels', {
      token: admin,
      body: { title: 'Large', access_policy: { initial_backfill_days: 0, resubscribe_backfill_days: 0, keep_archive_after_lapse: true } },
    });
    channelId = channel.body.id;
    await seedPosts(LAST_SEQ);
    await stack.request('PUT', `/api/admin/access/${channelId}/users/reader-1`, {
      token: admin,
      body: {
        periods: [
          { start: new Date(minutes(1)).toISOString(), end: new Date(minutes(VISIBLE_BEFORE)).toISOString() },
          { start: new Date(minutes(VISIBLE_BEFORE + HIDDEN_POSTS + 1)).toISOString(), end: null },
        ],
      },
    });
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** Writes posts 1..count straight into the table, in the stored shape, and moves the counter. */
  async function seedPosts(count: number): Promise<void> {
    const items = Array.from({ length: count }, (_, index) => {
      const seq = index + 1;
      const publishedAt = new Date(minutes(seq)).toISOString();
      return {
        channel_id: channelId,
        seq,
        post_id: `p_${seq}_${'0'.repeat(16)}`,
        published_at: publishedAt,
        published_key: publishedKey(publishedAt, seq),
        author_id: 'admin-1',
        body_text: `post ${seq} ${'x'.repeat(200)}`,
        attachments: [],
        edited_at: null,
        version: 1,
        is_deleted: false,
      };
    });
    const batches: (typeof items)[] = [];
    for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25));
    for (let start = 0; start < batches.length; start += 8) {
      await Promise.all(
        batches.slice(start, start + 8).map((batch) =>
          stack.db.send(new BatchWriteCommand({ RequestItems: { [stack.tables.posts]: batch.map((Item) => ({ PutRequest: { Item } })) } })),
        ),
      );
    }
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tables.channels,
        Key: { channel_id: channelId },
        UpdateExpression: 'SET last_seq = :seq, last_published_at = :at',
        ExpressionAttributeValues: { ':seq': count, ':at': new Date(minutes(count)).toISOString() },
      }),
    );
  }

  it('reads a page across 5,000 hidden posts in bounded requests', async () => {
    const { result: page, usage } = await measureDynamoUsage(stack.db, () =>
      stack.request('GET', `/api/mobile/channels/${channelId}/posts?after_seq=5&limit=10`, { token: reader }),
    );

    expect(page.status).toBe(200);
    expect(page.body.posts.map((post: { seq: number }) => post.seq)).toEqual([6, 7, 8, 9, 10, 5011, 5012, 5013, 5014, 5015]);
    expect(page.body.next_after_seq).toBe(5015);
    expect(page.body.has_more).toBe(true);
    // Channel, periods, three window edges, two range queries. Reading the
    // hidden posts would take well over 300 read units.
    expect(usage.requests).toBeGreaterThanOrEqual(5);
    expect(usage.readUnits).toBeGreaterThan(0);
    expect(usage.requests).toBeLessThanOrEqual(8);
    expect(usage.readUnits).toBeLessThanOrEqual(10);
  });

  it('looks up only the windows a page reaches', async () => {
    const admin = stack.token('admin-1', { admin: true });
    // Forty one-minute periods, each admitting two posts (seq 100k+1 and 100k+2).
    const periods = Array.from({ length: 40 }, (_, index) => ({
      start: new Date(minutes(index * 100 + 1)).toISOString(),
      end: new Date(minutes(index * 100 + 2)).toISOString(),
    }));
    await stack.request('PUT', `/api/admin/access/${channelId}/users/many-windows`, { token: admin, body: { periods } });
    const {
      result: page,
      usage: { requests },
    } = await measureDynamoUsage(stack.db, () => stack.request('GET', `/api/mobile/channels/${channelId}/posts?after_seq=0&limit=5`, { token: stack.token('many-windows') }));

    expect(page.body.posts.map((post: { seq: number }) => post.seq)).toEqual([1, 2, 101, 102, 201]);
    expect(page.body.has_more).toBe(true);
    // Channel, periods, then two edge lookups and one query for each of the
    // three windows reached; visiting all forty would take 120 requests.
    expect(requests).toBeLessThanOrEqual(11);
  });

  it('jumps past a hidden tail at the end of the feed', async () => {
    const page = await stack.request('GET', `/api/mobile/channels/${channelId}/posts?after_seq=10&limit=100`, { token: reader });

    expect(page.body.posts).toHaveLength(VISIBLE_AFTER);
    expect(page.body.posts[0].seq).toBe(5011);
    expect(page.body.next_after_seq).toBe(LAST_SEQ);
    expect(page.body.has_more).toBe(false);
  });

  it('pages backwards across the hidden range', async () => {
    const page = await stack.request('GET', `/api/mobile/channels/${channelId}/posts?before_seq=5013&limit=5`, { token: reader });

    expect(page.body.posts.map((post: { seq: number }) => post.seq)).toEqual([5012, 5011, 10, 9, 8]);
    expect(page.body.next_before_seq).toBe(8);
    expect(page.body.has_more).toBe(true);
  });
});
