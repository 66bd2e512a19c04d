import { describe, expect, it } from 'vitest';
import { canReadPostAt, decisionToJson, effectiveWindows, mergeWindows, type AccessDecision } from '../../lambdas/domain/read-windows.js';

const JAN_31_END = Date.parse('2025-01-31T23:59:59.999Z');
const FEB_01 = Date.parse('2025-02-01T00:00:00.000Z');
const FEB_12_END = Date.parse('2025-02-12T23:59:59.999Z');
const FEB_13 = Date.parse('2025-02-13T00:00:00.000Z');
const MAR_20_END = Date.parse('2025-03-20T23:59:59.999Z');
const MAR_21 = Date.parse('2025-03-21T00:00:00.000Z');
const VALID_UNTIL = Date.parse('2025-03-01T12:00:30.000Z');

/** The worked example's windows: (-inf, Jan 31] and [Feb 13, +inf). */
const WORKED_WINDOWS = [{ end: JAN_31_END }, { start: FEB_13 }];

function decision(fields: Omit<AccessDecision, 'validUntil'>): AccessDecision {
  return { ...fields, validUntil: VALID_UNTIL };
}

describe('canReadPostAt', () => {
  it.each([
    { case: 'DENY at any time', decision: decision({ mode: 'DENY' }), at: '2025-03-01T00:00:00.000Z', readable: false },
    { case: 'DENY ignores windows', decision: decision({ mode: 'DENY', readWindows: [{}] }), at: '2025-03-01T00:00:00.000Z', readable: false },
    { case: 'FULL without windows, old post', decision: decision({ mode: 'FULL' }), at: '2001-01-01T00:00:00.000Z', readable: true },
    { case: 'FULL without windows, future post', decision: decision({ mode: 'FULL' }), at: '2099-01-01T00:00:00.000Z', readable: true },
    { case: 'FULL with no windows listed', decision: decision({ mode: 'FULL', readWindows: [] }), at: '2025-03-01T00:00:00.000Z', readable: false },
    { case: 'FULL, first window end', decision: decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }), at: '2025-01-31T23:59:59.999Z', readable: true },
    { case: 'FULL, gap start', decision: decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }), at: '2025-02-01T00:00:00.000Z', readable: false },
    { case: 'FULL, gap end', decision: decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }), at: '2025-02-12T23:59:59.999Z', readable: false },
    { case: 'FULL, second window start', decision: decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }), at: '2025-02-13T00:00:00.000Z', readable: true },
    { case: 'FULL, unbounded start', decision: decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }), at: '1990-01-01T00:00:00.000Z', readable: true },
    { case: 'FULL, unbounded end', decision: decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }), at: '2099-01-01T00:00:00.000Z', readable: true },
    { case: 'ARCHIVE_UNTIL at until', decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END }), at: '2025-03-20T23:59:59.999Z', readable: true },
    { case: 'ARCHIVE_UNTIL after until', decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END }), at: '2025-03-21T00:00:00.000Z', readable: false },
    { case: 'ARCHIVE_UNTIL long before', decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END }), at: '2001-01-01T00:00:00.000Z', readable: true },
    { case: 'ARCHIVE_UNTIL without until', decision: decision({ mode: 'ARCHIVE_UNTIL' }), at: '2001-01-01T00:00:00.000Z', readable: false },
    { case: 'ARCHIVE_UNTIL, window and until', decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END, readWindows: WORKED_WINDOWS }), at: '2025-03-20T23:59:59.999Z', readable: true },
    { case: 'ARCHIVE_UNTIL, window past until', decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END, readWindows: WORKED_WINDOWS }), at: '2025-03-21T00:00:00.000Z', readable: false },
    { case: 'ARCHIVE_UNTIL, gap before until', decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END, readWindows: WORKED_WINDOWS }), at: '2025-02-05T00:00:00.000Z', readable: false },
  ])('$case', ({ decision, at, readable }) => {
    const publishedAt = Date.parse(at);

    const result = canReadPostAt(decision, publishedAt);

    expect(result).toBe(readable);
  });

  it.each([
    { at: '2025-02-09T23:59:59.999Z', readable: false },
    { at: '2025-02-10T00:00:00.000Z', readable: true },
    { at: '2025-02-10T23:59:59.999Z', readable: true },
    { at: '2025-02-11T00:00:00.000Z', readable: false },
  ])('bounded window is inclusive at $at', ({ at, readable }) => {
    const bounded = decision({
      mode: 'FULL',
      readWindows: [{ start: Date.parse('2025-02-10T00:00:00.000Z'), end: Date.parse('2025-02-10T23:59:59.999Z') }],
    });

    const result = canReadPostAt(bounded, Date.parse(at));

    expect(result).toBe(readable);
  });
});

describe('effectiveWindows', () => {
  it.each([
    { case: 'DENY', decision: decision({ mode: 'DENY', readWindows: [{}] }), expected: [] },
    { case: 'ARCHIVE_UNTIL without until', decision: decision({ mode: 'ARCHIVE_UNTIL' }), expected: [] },
    { case: 'FULL without windows', decision: decision({ mode: 'FULL' }), expected: [{}] },
    { case: 'FULL with no windows listed', decision: decision({ mode: 'FULL', readWindows: [] }), expected: [] },
    { case: 'FULL with worked windows', decision: decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }), expected: [{ end: JAN_31_END }, { start: FEB_13 }] },
    { case: 'ARCHIVE_UNTIL without windows', decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END }), expected: [{ end: MAR_20_END }] },
    {
      case: 'ARCHIVE_UNTIL caps the open window',
      decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END, readWindows: WORKED_WINDOWS }),
      expected: [{ end: JAN_31_END }, { start: FEB_13, end: MAR_20_END }],
    },
    {
      case: 'ARCHIVE_UNTIL drops a later window',
      decision: decision({ mode: 'ARCHIVE_UNTIL', until: JAN_31_END, readWindows: WORKED_WINDOWS }),
      expected: [{ end: JAN_31_END }],
    },
    {
      case: 'unsorted overlapping windows',
      decision: decision({ mode: 'FULL', readWindows: [{ start: FEB_13 }, { start: FEB_01, end: Date.parse('2025-02-20T00:00:00.000Z') }] }),
      expected: [{ start: FEB_01 }],
    },
  ])('$case', ({ decision, expected }) => {
    const windows = effectiveWindows(decision);

    expect(windows).toEqual(expected);
  });

  it.each([
    decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }),
    decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END, readWindows: WORKED_WINDOWS }),
    decision({ mode: 'ARCHIVE_UNTIL', until: FEB_12_END, readWindows: WORKED_WINDOWS }),
    decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END }),
    decision({ mode: 'FULL', readWindows: [{ start: FEB_13, end: MAR_20_END }, { end: FEB_01 }] }),
  ])('admits what canReadPostAt admits (%#)', (subject) => {
    const instants = [JAN_31_END, FEB_01, FEB_01 - 1, FEB_12_END, FEB_13, MAR_20_END, MAR_21, Date.parse('1990-01-01T00:00:00.000Z')];

    const windows = effectiveWindows(subject);

    for (const instant of instants) {
      const inWindows = windows.some((window) => (window.start ?? -Infinity) <= instant && instant <= (window.end ?? Infinity));
      expect(inWindows, new Date(instant).toISOString()).toBe(canReadPostAt(subject, instant));
    }
  });
});

describe('mergeWindows', () => {
  it.each([
    { case: 'no windows', windows: [], expected: [] },
    { case: 'sorts by start', windows: [{ start: 20, end: 30 }, { start: 0, end: 10 }], expected: [{ start: 0, end: 10 }, { start: 20, end: 30 }] },
    { case: 'overlapping', windows: [{ start: 0, end: 10 }, { start: 5, end: 20 }], expected: [{ start: 0, end: 20 }] },
    { case: 'touching at 1 ms', windows: [{ start: 0, end: 10 }, { start: 11, end: 20 }], expected: [{ start: 0, end: 20 }] },
    { case: 'gap of 1 ms', windows: [{ start: 0, end: 10 }, { start: 12, end: 20 }], expected: [{ start: 0, end: 10 }, { start: 12, end: 20 }] },
    { case: 'contained', windows: [{ start: 0, end: 100 }, { start: 10, end: 20 }], expected: [{ start: 0, end: 100 }] },
    { case: 'unbounded end absorbs later', windows: [{ start: 50, end: 60 }, { start: 0 }], expected: [{ start: 0 }] },
    { case: 'unbounded start', windows: [{ start: 5, end: 20 }, { end: 10 }], expected: [{ end: 20 }] },
    { case: 'both unbounded', windows: [{ end: 10 }, { start: 30 }, { start: 5, end: 40 }], expected: [{}] },
  ])('$case', ({ windows, expected }) => {
    const merged = mergeWindows(windows);

    expect(merged).toEqual(expected);
  });

  it('leaves its input unchanged', () => {
    const windows = [{ start: 20, end: 30 }, { start: 0, end: 25 }];

    mergeWindows(windows);

    expect(windows).toEqual([{ start: 20, end: 30 }, { start: 0, end: 25 }]);
  });
});

describe('decisionToJson', () => {
  it.each([
    { case: 'DENY', decision: decision({ mode: 'DENY' }), expected: { mode: 'DENY' } },
    { case: 'FULL without windows', decision: decision({ mode: 'FULL' }), expected: { mode: 'FULL' } },
    {
      case: 'FULL with worked windows',
      decision: decision({ mode: 'FULL', readWindows: WORKED_WINDOWS }),
      expected: { mode: 'FULL', read_windows: [{ end: '2025-01-31T23:59:59.999Z' }, { start: '2025-02-13T00:00:00.000Z' }] },
    },
    {
      case: 'ARCHIVE_UNTIL with windows',
      decision: decision({ mode: 'ARCHIVE_UNTIL', until: MAR_20_END, readWindows: [{ start: FEB_13, end: MAR_20_END }] }),
      expected: {
        mode: 'ARCHIVE_UNTIL',
        until: '2025-03-20T23:59:59.999Z',
        read_windows: [{ start: '2025-02-13T00:00:00.000Z', end: '2025-03-20T23:59:59.999Z' }],
      },
    },
    { case: 'unbounded window', decision: decision({ mode: 'FULL', readWindows: [{}] }), expected: { mode: 'FULL', read_windows: [{}] } },
  ])('$case', ({ decision, expected }) => {
    const json = decisionToJson(decision);

    expect(json).toStrictEqual(expected);
  });
});
