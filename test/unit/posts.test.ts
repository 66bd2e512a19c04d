import { describe, expect, it } from 'vitest';
import {
  newPostId,
  nextPublishedAt,
  publishedKey,
  publishedKeyLowerBound,
  publishedKeyUpperBound,
  seqOfPostId,
  toPostView,
  type StoredPost,
} from '../../lambdas/domain/posts.js';

const LIVE_POST: StoredPost = {
  channel_id: 'ch_1',
  seq: 7,
  post_id: 'p_7_0123456789abcdef',
  published_at: '2025-03-01T12:00:00.000Z',
  published_key: '2025-03-01T12:00:00.000Z#0000000000000007',
  author_id: 'admin-1',
  body_text: 'Buy at the open',
  attachments: [{ id: 'att_1', file_name: 'chart.png', content_type: 'image/png', size: 2048 }],
  edited_at: '2025-03-01T12:05:00.000Z',
  version: 2,
  is_deleted: false,
};

describe('newPostId', () => {
  it.each([1, 42, 999_999_999_999_999])('round-trips seq %i', (seq) => {
    const postId = newPostId(seq);

    expect(seqOfPostId(postId)).toBe(seq);
  });

  it('embeds seq and 16 hex characters', () => {
    expect(newPostId(42)).toMatch(/^p_42_[0-9a-f]{16}$/);
  });

  it('differs for the same seq', () => {
    expect(newPostId(1)).not.toBe(newPostId(1));
  });
});

describe('seqOfPostId', () => {
  it('reads the seq', () => {
    expect(seqOfPostId('p_7_0123456789abcdef')).toBe(7);
  });

  it.each([
    { case: 'empty', postId: '' },
    { case: 'seq 0', postId: 'p_0_0123456789abcdef' },
    { case: 'leading zero', postId: 'p_07_0123456789abcdef' },
    { case: 'negative seq', postId: 'p_-1_0123456789abcdef' },
    { case: '16-digit seq (2^53 or more is not a safe integer)', postId: 'p_9999999999999999_0123456789abcdef' },
    { case: '17-digit seq', postId: 'p_12345678901234567_0123456789abcdef' },
    { case: 'non-hex suffix', postId: 'p_1_0123456789abcdez' },
    { case: 'upper-case suffix', postId: 'p_1_0123456789ABCDEF' },
    { case: 'short suffix', postId: 'p_1_0123456789abcde' },
    { case: 'long suffix', postId: 'p_1_0123456789abcdef0' },
    { case: 'other prefix', postId: 'm_1_0123456789abcdef' },
    { case: 'upper-case prefix', postId: 'P_1_0123456789abcdef' },
    { case: 'trailing newline', postId: 'p_1_0123456789abcdef\n' },
    { case: 'uuid', postId: '3f2b7c1e-8d4a-4f6b-9c2e-1a5d7e9f0b3c' },
  ])('rejects $case', ({ postId }) => {
    expect(seqOfPostId(postId)).toBeUndefined();
  });
});

describe('nextPublishedAt', () => {
  it.each([
    { case: 'first post', now: '2025-03-01T12:00:00.000Z', last: undefined, expected: '2025-03-01T12:00:00.000Z' },
    { case: 'clock ahead', now: '2025-03-01T12:00:01.250Z', last: '2025-03-01T12:00:00.000Z', expected: '2025-03-01T12:00:01.250Z' },
    { case: 'same millisecond', now: '2025-03-01T12:00:00.000Z', last: '2025-03-01T12:00:00.000Z', expected: '2025-03-01T12:00:00.000Z' },
    { case: 'clock stepped back', now: '2025-03-01T11:59:59.000Z', last: '2025-03-01T12:00:00.500Z', expected: '2025-03-01T12:00:00.500Z' },
  ])('$case', ({ now, last, expected }) => {
    const publishedAt = nextPublishedAt(Date.parse(now), last);

    expect(publishedAt).toBe(expected);
  });
});

describe('publishedKey bounds', () => {
  const instant = Date.parse('2025-03-01T12:00:00.000Z');

  it('pads seq to 16 digits', () => {
    expect(publishedKey('2025-03-01T12:00:00.000Z', 7)).toBe('2025-03-01T12:00:00.000Z#0000000000000007');
  });

  it('bounds are the instant and its last key', () => {
    expect(publishedKeyLowerBound(instant)).toBe('2025-03-01T12:00:00.000Z');
    expect(publishedKeyUpperBound(instant)).toBe('2025-03-01T12:00:00.000Z#9999999999999999');
  });

  it.each([1, 9, 10, 42, 9_007_199_254_740_991])('enclose seq %i at the instant', (seq) => {
    const key = publishedKey('2025-03-01T12:00:00.000Z', seq);

    expect(publishedKeyLowerBound(instant) < key).toBe(true);
    expect(key < publishedKeyUpperBound(instant)).toBe(true);
  });

  it('exclude neighbouring milliseconds', () => {
    const before = publishedKey('2025-03-01T11:59:59.999Z', 9_007_199_254_740_991);
    const after = publishedKey('2025-03-01T12:00:00.001Z', 1);

    expect(before < publishedKeyLowerBound(instant)).toBe(true);
    expect(publishedKeyUpperBound(instant) < after).toBe(true);
  });

  it('orders equal timestamps by seq', () => {
    const keys = [10, 9, 100, 2].map((seq) => publishedKey('2025-03-01T12:00:00.000Z', seq));

    expect([...keys].sort()).toEqual([
      '2025-03-01T12:00:00.000Z#0000000000000002',
      '2025-03-01T12:00:00.000Z#0000000000000009',
      '2025-03-01T12:00:00.000Z#0000000000000010',
      '2025-03-01T12:00:00.000Z#0000000000000100',
    ]);
  });
});

describe('toPostView', () => {
  it('shows a live post', () => {
    const view = toPostView(LIVE_POST);

    expect(view).toStrictEqual({
      id: 'p_7_0123456789abcdef',
      channel_id: 'ch_1',
      seq: 7,
      published_at: '2025-03-01T12:00:00.000Z',
      author_id: 'admin-1',
      body_text: 'Buy at the open',
      attachments: [{ id: 'att_1', file_name: 'chart.png', content_type: 'image/png', size: 2048 }],
      edited_at: '2025-03-01T12:05:00.000Z',
      version: 2,
      is_deleted: false,
    });
    expect(view.attachments).not.toBe(LIVE_POST.attachments);
  });

  it('drops content from a tombstone', () => {
    const tombstone: StoredPost = { ...LIVE_POST, is_deleted: true, version: 3 };

    const view = toPostView(tombstone);

    expect(view).toStrictEqual({
      id: 'p_7_0123456789abcdef',
      channel_id: 'ch_1',
      seq: 7,
      published_at: '2025-03-01T12:00:00.000Z',
      author_id: 'admin-1',
      body_text: null,
      attachments: [],
      edited_at: '2025-03-01T12:05:00.000Z',
      version: 3,
      is_deleted: true,
    });
  });
});
