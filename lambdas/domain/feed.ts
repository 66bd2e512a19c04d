import type { ReadWindow } from './read-windows.js';

/**
 * Feed paging over seq ranges. A reader's windows become a few inclusive seq
 * ranges (one index lookup per window edge); a page queries only inside
 * them, so hidden posts cost nothing however many there are.
 */

/** Inclusive range of sequence numbers. */
export interface SeqRange {
  readonly from: number;
  readonly to: number;
}

export type FeedDirection = 'after' | 'before';

export interface FeedCursor {
  readonly direction: FeedDirection;
  /** `after_seq` (exclusive lower bound) or `before_seq` (exclusive upper bound). */
  readonly seq: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * Clips readable ranges to the part a page may read, in reading order:
 * ascending above `after_seq`, descending below `before_seq`, never past
 * `lastSeq` (the counter read before the page, so posts committed later are
 * left for the next page).
 */
export function rangesToRead(readable: readonly SeqRange[], cursor: FeedCursor, lastSeq: number): SeqRange[] {
  const low = cursor.direction === 'after' ? cursor.seq + 1 : 1;
  const high = cursor.direction === 'after' ? lastSeq : Math.min(cursor.seq - 1, lastSeq);

  const clipped = readable
    .map((range) => ({ from: Math.max(range.from, low), to: Math.min(range.to, high) }))
    .filter((range) => range.from <= range.to)
    .sort((a, b) => a.from - b.from);
  return cursor.direction === 'after' ? clipped : clipped.reverse();
}

export interface PagePosition {
  next_after_seq?: number;
  next_before_seq?: number;
  has_more: boolean;
}

/**
 * Computes the cursor for the next page. `lastReturnedSeq` is the seq of the
 * last post in the page when the page is full and more readable posts
 * follow. Otherwise the page covered everything up to the end of the feed in
 * its direction, hidden posts included, and the cursor jumps past them.
 */
export function pagePosition(cursor: FeedCursor, lastSeq: number, lastReturnedSeq: number | undefined): PagePosition {
  const hasMore = lastReturnedSeq !== undefined;
  if (cursor.direction === 'after') {
    return { next_after_seq: hasMore ? lastReturnedSeq : Math.max(cursor.seq, lastSeq), has_more: hasMore };
  }
  return { next_before_seq: hasMore ? lastReturnedSeq : Math.min(cursor.seq, 1), has_more: hasMore };
}

/**
 * Orders a reader's windows (sorted and merged) in the page's reading
 * direction and drops those wholly behind the cursor, so a page looks up
 * only the windows it can reach. `cursorTime` is the `published_at` (epoch
 * ms) of the post at the cursor, or undefined when the cursor is outside
 * the feed. Posts can share a timestamp, so a window ending exactly at the
 * cursor's time is kept.
 */
export function windowsInReadingOrder(windows: readonly ReadWindow[], direction: FeedDirection, cursorTime: number | undefined): ReadWindow[] {
  if (direction === 'after') {
    return windows.filter((window) => cursorTime === undefined || window.end === undefined || window.end >= cursorTime);
  }
  return windows.filter((window) => cursorTime === undefined || window.start === undefined || window.start <= cursorTime).reverse();
}
