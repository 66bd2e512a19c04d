import { describe, expect, it } from 'vitest';
import { pagePosition, rangesToRead, windowsInReadingOrder, type FeedCursor, type SeqRange } from '../../lambdas/domain/feed.js';

/** Posts 1–3 and 7–10 are readable, and 4–6 are hidden. */
const READABLE: SeqRange[] = [
  { from: 1, to: 3 },
  { from: 7, to: 10 },
];

describe('rangesToRead', () => {
  it.each<{ case: string; readable: SeqRange[]; cursor: FeedCursor; lastSeq: number; expected: SeqRange[] }>([
    { case: 'after 0', readable: READABLE, cursor: { direction: 'after', seq: 0 }, lastSeq: 10, expected: READABLE },
    { case: 'after inside a range', readable: READABLE, cursor: { direction: 'after', seq: 2 }, lastSeq: 10, expected: [{ from: 3, to: 3 }, { from: 7, to: 10 }] },
    { case: 'after the range end', readable: READABLE, cursor: { direction: 'after', seq: 3 }, lastSeq: 10, expected: [{ from: 7, to: 10 }] },
    { case: 'after inside the gap', readable: READABLE, cursor: { direction: 'after', seq: 5 }, lastSeq: 10, expected: [{ from: 7, to: 10 }] },
    { case: 'after lastSeq', readable: READABLE, cursor: { direction: 'after', seq: 10 }, lastSeq: 10, expected: [] },
    { case: 'after beyond lastSeq', readable: READABLE, cursor: { direction: 'after', seq: 15 }, lastSeq: 10, expected: [] },
    { case: 'after clips to lastSeq', readable: [{ from: 1, to: 20 }], cursor: { direction: 'after', seq: 0 }, lastSeq: 12, expected: [{ from: 1, to: 12 }] },
    { case: 'after sorts ranges', readable: [{ from: 7, to: 10 }, { from: 1, to: 3 }], cursor: { direction: 'after', seq: 0 }, lastSeq: 10, expected: READABLE },
    { case: 'after with nothing readable', readable: [], cursor: { direction: 'after', seq: 0 }, lastSeq: 10, expected: [] },
    { case: 'before past the end', readable: READABLE, cursor: { direction: 'before', seq: 100 }, lastSeq: 10, expected: [{ from: 7, to: 10 }, { from: 1, to: 3 }] },
    { case: 'before lastSeq + 1', readable: READABLE, cursor: { direction: 'before', seq: 11 }, lastSeq: 10, expected: [{ from: 7, to: 10 }, { from: 1, to: 3 }] },
    { case: 'before inside a range', readable: READABLE, cursor: { direction: 'before', seq: 9 }, lastSeq: 10, expected: [{ from: 7, to: 8 }, { from: 1, to: 3 }] },
    { case: 'before the range start', readable: READABLE, cursor: { direction: 'before', seq: 7 }, lastSeq: 10, expected: [{ from: 1, to: 3 }] },
    { case: 'before 1', readable: READABLE, cursor: { direction: 'before', seq: 1 }, lastSeq: 10, expected: [] },
    { case: 'before clips to lastSeq', readable: [{ from: 1, to: 20 }], cursor: { direction: 'before', seq: 100 }, lastSeq: 12, expected: [{ from: 1, to: 12 }] },
  ])('$case', ({ readable, cursor, lastSeq, expected }) => {
    const ranges = rangesToRead(readable, cursor, lastSeq);

    expect(ranges).toEqual(expected);
  });
});

describe('pagePosition', () => {
  it.each<{ case: string; cursor: FeedCursor; lastSeq: number; lastReturnedSeq: number | undefined; expected: object }>([
    { case: 'after, more follow', cursor: { direction: 'after', seq: 0 }, lastSeq: 50, lastReturnedSeq: 20, expected: { next_after_seq: 20, has_more: true } },
    { case: 'after, end of feed', cursor: { direction: 'after', seq: 0 }, lastSeq: 50, lastReturnedSeq: undefined, expected: { next_after_seq: 50, has_more: false } },
    { case: 'after, cursor past lastSeq', cursor: { direction: 'after', seq: 60 }, lastSeq: 50, lastReturnedSeq: undefined, expected: { next_after_seq: 60, has_more: false } },
    { case: 'after, empty channel', cursor: { direction: 'after', seq: 0 }, lastSeq: 0, lastReturnedSeq: undefined, expected: { next_after_seq: 0, has_more: false } },
    { case: 'before, more follow', cursor: { direction: 'before', seq: 51 }, lastSeq: 50, lastReturnedSeq: 31, expected: { next_before_seq: 31, has_more: true } },
    { case: 'before, start of feed', cursor: { direction: 'before', seq: 51 }, lastSeq: 50, lastReturnedSeq: undefined, expected: { next_before_seq: 1, has_more: false } },
    { case: 'before 1', cursor: { direction: 'before', seq: 1 }, lastSeq: 50, lastReturnedSeq: undefined, expected: { next_before_seq: 1, has_more: false } },
  ])('$case', ({ cursor, lastSeq, lastReturnedSeq, expected }) => {
    const position = pagePosition(cursor, lastSeq, lastReturnedSeq);

    expect(position).toStrictEqual(expected);
  });
});

describe('windowsInReadingOrder', () => {
  const windows = [{ end: 100 }, { start: 200, end: 300 }, { start: 400 }];

  it.each([
    ['after, no cursor time', 'after', undefined, [{ end: 100 }, { start: 200, end: 300 }, { start: 400 }]],
    ['after, inside the second window', 'after', 250, [{ start: 200, end: 300 }, { start: 400 }]],
    ['after, exactly at a window end', 'after', 300, [{ start: 200, end: 300 }, { start: 400 }]],
    ['after, in the last gap', 'after', 350, [{ start: 400 }]],
    ['before, no cursor time', 'before', undefined, [{ start: 400 }, { start: 200, end: 300 }, { end: 100 }]],
    ['before, inside the second window', 'before', 250, [{ start: 200, end: 300 }, { end: 100 }]],
    ['before, exactly at a window start', 'before', 200, [{ start: 200, end: 300 }, { end: 100 }]],
    ['before, in the first gap', 'before', 150, [{ end: 100 }]],
  ] as const)('%s', (_name, direction, cursorTime, expected) => {
    const ordered = windowsInReadingOrder(windows, direction, cursorTime);

    expect(ordered).toEqual(expected);
  });
});
