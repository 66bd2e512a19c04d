import { describe, expect, it } from 'vitest';
import { forumChangeOf, messageChangeOf, topicChangeOf, type MessageImage, type TopicImage } from '../../lambdas/domain/deltas.js';
import type { StoredMessage, StoredTopic } from '../../lambdas/domain/forums.js';
import { subscriptionTargetOf, topicSubscriptionKey } from '../../lambdas/domain/subscriptions.js';
import { parseFanoutBatch } from '../../lambdas/realtime/fanout.js';

const TOPIC_ID = 't_0123456789abcdef';
const FORUM_ID = 'f_fedcba9876543210';
const MESSAGE_ID = 'm_3_00112233445566ff';

/** A stored message as the messages stream carries it, body included. */
const MESSAGE: StoredMessage = {
  topic_id: TOPIC_ID,
  seq: 3,
  message_id: MESSAGE_ID,
  forum_id: FORUM_ID,
  created_at: '2025-03-01T12:00:00.000Z',
  created_key: '2025-03-01T12:00:00.000Z#0000000000000003',
  author_id: 'alice',
  body_text: 'secret message body',
  edited_at: null,
  version: 1,
  is_deleted: false,
};

/** A stored topic as the topics stream carries it, title included. */
const TOPIC: StoredTopic = {
  topic_id: TOPIC_ID,
  forum_id: FORUM_ID,
  title: 'secret topic title',
  author_id: 'alice',
  post: null,
  pinned: false,
  locked: false,
  slow_mode_seconds: 0,
  last_seq: 3,
  last_created_at: '2025-03-01T12:00:00.000Z',
  message_count: 3,
  last_activity_at: '2025-03-01T12:00:00.000Z',
  activity_key: `0#2025-03-01T12:00:00.000Z#${TOPIC_ID}`,
  created_at: '2025-02-28T09:30:00.000Z',
  version: 1,
};

const edited: StoredMessage = { ...MESSAGE, body_text: 'secret edit', edited_at: '2025-03-01T12:05:00.000Z', version: 2 };
const tombstone: StoredMessage = { ...edited, body_text: null, version: 3, is_deleted: true };
const lockedTopic: StoredTopic = { ...TOPIC, locked: true, version: 2 };

describe('messageChangeOf', () => {
  it('turns an insert into message.created', () => {
    const change = messageChangeOf(undefined, MESSAGE);

    expect(change).toEqual({
      delta: { type: 'message.created', topic_id: TOPIC_ID, seq: 3, message_id: MESSAGE_ID, dedupe_key: `${TOPIC_ID}:3:1` },
      dedupeKey: `${TOPIC_ID}:3:1`,
      version: 1,
      subscriptionKey: `topic#${TOPIC_ID}`,
      readableAt: 1740830400000,
    });
  });

  it.each([
    { case: 'an edit', oldImage: MESSAGE, newImage: edited, type: 'message.updated', version: 2 },
    { case: 'a delete', oldImage: edited, newImage: tombstone, type: 'message.deleted', version: 3 },
  ])('classifies $case as $type', ({ oldImage, newImage, type, version }) => {
    const change = messageChangeOf(oldImage, newImage);

    expect(change?.delta).toEqual({ type, topic_id: TOPIC_ID, seq: 3, message_id: MESSAGE_ID, dedupe_key: `${TOPIC_ID}:3:${version}` });
  });

  it.each([
    { case: 'a removal', oldImage: MESSAGE as MessageImage | undefined, newImage: undefined },
    { case: 'a write that keeps the version', oldImage: MESSAGE, newImage: { ...MESSAGE, edited_at: '2025-03-01T12:01:00.000Z' } },
    { case: 'a change to a tombstone', oldImage: tombstone, newImage: { ...tombstone, version: 4 } },
    { case: 'a record with no images', oldImage: undefined, newImage: undefined },
  ])('ignores $case', ({ oldImage, newImage }) => {
    expect(messageChangeOf(oldImage, newImage)).toBeUndefined();
  });
});

describe('topicChangeOf', () => {
  it('turns a version increase into topic.updated', () => {
    const change = topicChangeOf(TOPIC, lockedTopic);

    expect(change).toEqual({
      delta: { type: 'topic.updated', topic_id: TOPIC_ID, forum_id: FORUM_ID, version: 2, dedupe_key: `${TOPIC_ID}:2` },
      dedupeKey: `${TOPIC_ID}:2`,
      version: 2,
      subscriptionKey: `topic#${TOPIC_ID}`,
      readableAt: 1740735000000,
    });
  });

  it.each([
    { case: 'an insert (the first message announces it)', oldImage: undefined as TopicImage | undefined, newImage: TOPIC as TopicImage | undefined },
    { case: 'a new message advancing the counter', oldImage: TOPIC, newImage: { ...TOPIC, last_seq: 4, message_count: 4 } },
    { case: 'a removal', oldImage: TOPIC, newImage: undefined },
    { case: 'a version that went down', oldImage: { ...TOPIC, version: 3 }, newImage: { ...TOPIC, version: 2 } },
  ])('ignores $case', ({ oldImage, newImage }) => {
    expect(topicChangeOf(oldImage, newImage)).toBeUndefined();
  });
});

describe('forumChangeOf', () => {
  it.each([
    { case: 'a message insert', oldImage: undefined, newImage: MESSAGE, keys: ['dedupe_key', 'message_id', 'seq', 'topic_id', 'type'], type: 'message.created' },
    { case: 'a message delete', oldImage: edited, newImage: tombstone, keys: ['dedupe_key', 'message_id', 'seq', 'topic_id', 'type'], type: 'message.deleted' },
    { case: 'a topic lock', oldImage: TOPIC, newImage: lockedTopic, keys: ['dedupe_key', 'forum_id', 'topic_id', 'type', 'version'], type: 'topic.updated' },
  ])('routes $case by its image and sends identifiers only', ({ oldImage, newImage, keys, type }) => {
    const change = forumChangeOf(oldImage, newImage);

    expect(change?.delta.type).toBe(type);
    expect(Object.keys(change!.delta).sort()).toEqual(keys);
    expect(JSON.stringify(change)).not.toContain('secret');
  });

  it('routes a message removal by its old image and ignores it', () => {
    expect(forumChangeOf(MESSAGE, undefined)).toBeUndefined();
  });
});

describe('topic subscription keys', () => {
  it('round-trips a topic id', () => {
    const key = topicSubscriptionKey(TOPIC_ID);

    expect(key).toBe(`topic#${TOPIC_ID}`);
    expect(subscriptionTargetOf(key)).toEqual({ kind: 'topic', id: TOPIC_ID });
  });

  it('reads a channel key', () => {
    expect(subscriptionTargetOf('channel#ch_1')).toEqual({ kind: 'channel', id: 'ch_1' });
  });

  it('rejects a connection item key', () => {
    expect(() => subscriptionTargetOf('connection#abc')).toThrow('"connection#abc" is not a subscription key: expected channel#<id> or topic#<id>');
  });
});

describe('parseFanoutBatch', () => {
  const subscription = {
    pk: `topic#${TOPIC_ID}`,
    sk: 'conn-1',
    connection_id: 'conn-1',
    user_id: 'bob',
    is_admin: false,
    is_moderator: true,
    decision: { mode: 'FULL' as const, validUntil: 1740830430000 },
    subscribed_at: '2025-03-01T11:00:00.000Z',
    expires_at_epoch: 1740837600,
  };

  it('reads back a message change sent as JSON', () => {
    const batch = { change: messageChangeOf(undefined, MESSAGE)!, subscriptions: [subscription] };

    const parsed = parseFanoutBatch(JSON.stringify(batch));

    expect(parsed).toEqual(batch);
  });

  it('reads a post change queued before forums', () => {
    const legacy = {
      change: {
        delta: { type: 'post.published', channel_id: 'ch_1', seq: 5, post_id: 'p_5_0123456789abcdef', dedupe_key: 'ch_1:5:1' },
        dedupeKey: 'ch_1:5:1',
        version: 1,
        publishedAt: 1740830400000,
      },
      subscriptions: [],
    };

    const parsed = parseFanoutBatch(JSON.stringify(legacy));

    expect(parsed).toEqual({
      change: {
        delta: { type: 'post.published', channel_id: 'ch_1', seq: 5, post_id: 'p_5_0123456789abcdef', dedupe_key: 'ch_1:5:1' },
        dedupeKey: 'ch_1:5:1',
        version: 1,
        subscriptionKey: 'channel#ch_1',
        readableAt: 1740830400000,
      },
      subscriptions: [],
    });
  });
});
