import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishedKey } from '../../lambdas/domain/posts.js';
import { measureDynamoUsage } from '../support/dynamo-usage.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Message pages in a linked forum reuse the channel feed's paging: a
 * reader's windows become seq ranges, so messages outside them cost no reads.
 */
describe('message page across a hidden range', () => {
  const HIDDEN_MESSAGES = 3_000;
  const VISIBLE_BEFORE = 10;
  const VISIBLE_AFTER = 20;
  const LAST_SEQ = VISIBLE_BEFORE + HIDDEN_MESSAGES + VISIBLE_AFTER;
  /** Message `seq` is created `seq` minutes after this instant. */
  const ORIGIN = Date.parse('2025-01-01T00:00:00.000Z');
  const minutes = (count: number): number => ORIGIN + count * 60_000;

  let stack: TestStack;
  let frozenAt = minutes(1);
  let topicId: string;
  let reader: string;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => frozenAt });
    const admin = stack.token('admin-1', { admin: true });
    reader = stack.token('reader-1');
    const channel = await stack.request('POST', '/api/admin/channels', {
      token: admin,
      body: { title: 'Large', access_policy: { initial_backfill_days: 0, resubscribe_backfill_days: 0, keep_archive_after_lapse: true } },
    });
    const forum = await stack.request('POST', '/api/admin/forums', { token: admin, body: { title: 'Large forum', linked_channel_id: channel.body.id } });
    const topic = await stack.request('POST', `/api/mobile/forums/${forum.body.id}/topics`, { token: admin, body: { title: 'Busy', body_text: 'message 1' } });
    expect(topic.status).toBe(201);
    topicId = topic.body.topic.id;
    await seedMessages(forum.body.id, 2, LAST_SEQ);
    frozenAt = minutes(LAST_SEQ + 1);
    await stack.request('PUT', `/api/admin/access/${channel.body.id}/users/reader-1`, {
      token: admin,
      body: {
        periods: [
          { start: new Date(minutes(1)).toISOString(), end: new Date(minutes(VISIBLE_BEFORE)).toISOString() },
          { start: new Date(minutes(VISIBLE_BEFORE + HIDDEN_MESSAGES + 1)).toISOString(), end: null },
        ],
      },
    });
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** Writes messages first..last straight into the table, in the stored shape, and moves the topic counter. */
  async function seedMessages(forumId: string, first: number, last: number): Promise<void> {
    const items = [];
    for (let seq = first; seq <= last; seq += 1) {
      const createdAt = new Date(minutes(seq)).toISOString();
      items.push({
        topic_id: topicId,
        seq,
        message_id: `m_${seq}_${'0'.repeat(16)}`,
        forum_id: forumId,
        created_at: createdAt,
        created_key: publishedKey(createdAt, seq),
        author_id: 'admin-1',
        body_text: `message ${seq} ${'x'.repeat(200)}`,
        edited_at: null,
        version: 1,
        is_deleted: false,
      });
    }
    const batches: (typeof items)[] = [];
    for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25));
    for (let start = 0; start < batches.length; start += 8) {
      await Promise.all(
        batches.slice(start, start + 8).map((batch) =>
          stack.db.send(new BatchWriteCommand({ RequestItems: { [stack.tables.messages]: batch.map((Item) => ({ PutRequest: { Item } })) } })),
        ),
      );
    }
    const lastAt = new Date(minutes(last)).toISOString();
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tables.topics,
        Key: { topic_id: topicId },
        UpdateExpression: 'SET last_seq = :seq, last_created_at = :at, message_count = :count',
        ExpressionAttributeValues: { ':seq': last, ':at': lastAt, ':count': last },
      }),
    );
  }

  it('reads the page in bounded requests', async () => {
    const { result: page, usage } = await measureDynamoUsage(stack.db, () =>
      stack.request('GET', `/api/mobile/topics/${topicId}/messages?after_seq=5&limit=10`, { token: reader }),
    );

    expect(page.status).toBe(200);
    expect(page.body.messages.map((message: { seq: number }) => message.seq)).toEqual([6, 7, 8, 9, 10, 3011, 3012, 3013, 3014, 3015]);
    expect(page.body.next_after_seq).toBe(3015);
    expect(page.body.has_more).toBe(true);
    // Topic, forum, channel, periods, the cursor's message, three window
    // edges and two range queries. Reading the hidden messages would take
    // well over 150 read units.
    expect(usage.requests).toBeGreaterThanOrEqual(5);
    expect(usage.readUnits).toBeGreaterThan(0);
    expect(usage.requests).toBeLessThanOrEqual(11);
    expect(usage.readUnits).toBeLessThanOrEqual(10);
  });

  it('pages backwards across the hidden range', async () => {
    const page = await stack.request('GET', `/api/mobile/topics/${topicId}/messages?before_seq=3013&limit=5`, { token: reader });

    expect(page.body.messages.map((message: { seq: number }) => message.seq)).toEqual([3012, 3011, 10, 9, 8]);
    expect(page.body.next_before_seq).toBe(8);
    expect(page.body.has_more).toBe(true);
  });
});
