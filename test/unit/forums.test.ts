import { describe, expect, it } from 'vitest';
import {
  activityKey,
  isInsideEditWindow,
  rateLimitOutcome,
  retryAfterSeconds,
  seqOfMessageId,
  slowModeWaitMs,
  newMessageId,
  type StoredForum,
} from '../../lambdas/domain/forums.js';
import { ForbiddenError } from '../../lambdas/domain/errors.js';
import { assertCanWriteForum } from '../../lambdas/services/forum-access.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const HOUR_MS = 60 * 60 * 1000;

describe('rateLimitOutcome', () => {
  it('starts a window on the first message', () => {
    expect(rateLimitOutcome(undefined, NOW, 3, 60_000)).toEqual({ allowed: true, next: { windowStart: NOW, count: 1 } });
  });

  it('counts inside the window', () => {
    expect(rateLimitOutcome({ windowStart: NOW - 10_000, count: 2 }, NOW, 3, 60_000)).toEqual({ allowed: true, next: { windowStart: NOW - 10_000, count: 3 } });
  });

  it('rejects a full window until it ends', () => {
    expect(rateLimitOutcome({ windowStart: NOW - 10_000, count: 3 }, NOW, 3, 60_000)).toEqual({ allowed: false, waitMs: 50_000 });
  });

  it('starts again once the window ended', () => {
    expect(rateLimitOutcome({ windowStart: NOW - 60_000, count: 3 }, NOW, 3, 60_000)).toEqual({ allowed: true, next: { windowStart: NOW, count: 1 } });
  });

  it('allows everything with limit 0', () => {
    expect(rateLimitOutcome({ windowStart: NOW, count: 1_000 }, NOW, 0, 60_000).allowed).toBe(true);
  });
});

describe('slowModeWaitMs', () => {
  it.each([
    [0, NOW - 1_000, 0],
    [30, undefined, 0],
    [30, NOW - 10_000, 20_000],
    [30, NOW - 30_000, 0],
    [30, NOW - 31_000, 0],
  ])('with %i s and the last message at %s waits %i ms', (seconds, lastMessageAt, expected) => {
    expect(slowModeWaitMs(seconds, lastMessageAt, NOW)).toBe(expected);
  });
});

describe('retryAfterSeconds', () => {
  it.each([
    [1, 1],
    [999, 1],
    [1_000, 1],
    [1_001, 2],
    [19_500, 20],
  ])('rounds %i ms up to %i s', (waitMs, expected) => {
    expect(retryAfterSeconds(waitMs)).toBe(expected);
  });
});

describe('isInsideEditWindow', () => {
  const createdAt = new Date(NOW).toISOString();

  it('allows an edit at the window end', () => {
    expect(isInsideEditWindow(createdAt, NOW + 48 * HOUR_MS, 48 * HOUR_MS)).toBe(true);
  });

  it('rejects an edit after the window end', () => {
    expect(isInsideEditWindow(createdAt, NOW + 48 * HOUR_MS + 1, 48 * HOUR_MS)).toBe(false);
  });
});

describe('message ids', () => {
  it('name their seq', () => {
    expect(seqOfMessageId(newMessageId(42))).toBe(42);
  });

  it.each(['p_1_0123456789abcdef', 'm_0_0123456789abcdef', 'm_1_0123456789ABCDEF', 'm_1_0123', 'm_1234567890123456_0123456789abcdef'])('reject %s', (id) => {
    expect(seqOfMessageId(id)).toBeUndefined();
  });
});

describe('activityKey', () => {
  it('sorts pinned topics above any unpinned one', () => {
    const pinnedOld = activityKey(true, '2026-01-01T00:00:00.000Z', 't_0000000000000001');
    const unpinnedNew = activityKey(false, '2026-03-01T00:00:00.000Z', 't_0000000000000002');

    expect(pinnedOld > unpinnedNew).toBe(true);
  });

  it('sorts later activity above earlier', () => {
    expect(activityKey(false, '2026-03-01T00:00:01.000Z', 't_a') > activityKey(false, '2026-03-01T00:00:00.000Z', 't_b')).toBe(true);
  });
});

describe('assertCanWriteForum', () => {
  const forum: StoredForum = { forum_id: 'f_0123456789abcdef', title: 'T', description: '', linked_channel_id: 'ch_1', created_by: 'admin', created_at: '2026-01-01T00:00:00.000Z' };

  it('allows FULL with now inside the windows', () => {
    expect(() => assertCanWriteForum({ mode: 'FULL', readWindows: [{ start: NOW - HOUR_MS }], validUntil: NOW + 1 }, forum, NOW)).not.toThrow();
  });

  it('rejects ARCHIVE_UNTIL', () => {
    expect(() => assertCanWriteForum({ mode: 'ARCHIVE_UNTIL', until: NOW + HOUR_MS, validUntil: NOW + 1 }, forum, NOW)).toThrow(ForbiddenError);
  });

  it('rejects FULL whose windows exclude now', () => {
    expect(() => assertCanWriteForum({ mode: 'FULL', readWindows: [{ end: NOW - HOUR_MS }], validUntil: NOW + 1 }, forum, NOW)).toThrow(ForbiddenError);
  });

  it('rejects FULL with no windows at all', () => {
    expect(() => assertCanWriteForum({ mode: 'FULL', readWindows: [], validUntil: NOW + 1 }, forum, NOW)).toThrow(ForbiddenError);
  });

  it('rejects DENY', () => {
    expect(() => assertCanWriteForum({ mode: 'DENY', validUntil: NOW + 1 }, forum, NOW)).toThrow(ForbiddenError);
  });
});
