import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS_POLICY, decideFromPeriods, type AccessPolicy, type SubscriptionPeriod } from '../../lambdas/domain/access-policy.js';
import { canReadPostAt } from '../../lambdas/domain/read-windows.js';

/** First subscription reads the whole archive, re-subscribing backfills 7 days, lapsed users keep their archive. */
const WORKED_POLICY: AccessPolicy = { initial_backfill_days: null, resubscribe_backfill_days: 7, keep_archive_after_lapse: true };
const NO_ARCHIVE_POLICY: AccessPolicy = { initial_backfill_days: null, resubscribe_backfill_days: 7, keep_archive_after_lapse: false };

const JAN_01 = Date.parse('2025-01-01T00:00:00.000Z');
const JAN_31_END = Date.parse('2025-01-31T23:59:59.999Z');
const FEB_13 = Date.parse('2025-02-13T00:00:00.000Z');
const FEB_20 = Date.parse('2025-02-20T00:00:00.000Z');
const MAR_01 = Date.parse('2025-03-01T12:00:00.000Z');
const MAR_20_END = Date.parse('2025-03-20T23:59:59.999Z');
const MAR_21 = Date.parse('2025-03-21T00:00:00.000Z');

const FIRST_PERIOD: SubscriptionPeriod = { start: JAN_01, end: JAN_31_END };
const OPEN_SECOND_PERIOD: SubscriptionPeriod = { start: FEB_20 };
const ENDED_SECOND_PERIOD: SubscriptionPeriod = { start: FEB_20, end: MAR_20_END };

describe('decideFromPeriods', () => {
  it('uses the worked example as the default policy', () => {
    expect(DEFAULT_ACCESS_POLICY).toEqual(WORKED_POLICY);
  });

  it('worked example on Mar 1', () => {
    const periods = [FIRST_PERIOD, OPEN_SECOND_PERIOD];

    const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_01);

    expect(decision).toEqual({
      mode: 'FULL',
      readWindows: [{ end: Date.parse('2025-01-31T23:59:59.999Z') }, { start: Date.parse('2025-02-13T00:00:00.000Z') }],
      validUntil: Date.parse('2025-03-01T12:00:30.000Z'),
    });
  });

  it('worked example after the second lapse', () => {
    const periods = [FIRST_PERIOD, ENDED_SECOND_PERIOD];

    const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_21);

    expect(decision).toEqual({
      mode: 'ARCHIVE_UNTIL',
      until: Date.parse('2025-03-20T23:59:59.999Z'),
      readWindows: [{ end: Date.parse('2025-01-31T23:59:59.999Z') }, { start: Date.parse('2025-02-13T00:00:00.000Z') }],
      validUntil: Date.parse('2025-03-21T00:00:30.000Z'),
    });
  });

  it('stays FULL through the last millisecond', () => {
    const periods = [FIRST_PERIOD, ENDED_SECOND_PERIOD];

    const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_20_END);

    expect(decision).toEqual({
      mode: 'FULL',
      readWindows: [{ end: JAN_31_END }, { start: FEB_13 }],
      validUntil: Date.parse('2025-03-21T00:00:00.000Z'),
    });
  });

  it.each([
    { at: '2024-06-01T00:00:00.000Z', onMar01: true, afterLapse: true },
    { at: '2025-01-31T23:59:59.999Z', onMar01: true, afterLapse: true },
    { at: '2025-02-01T00:00:00.000Z', onMar01: false, afterLapse: false },
    { at: '2025-02-12T23:59:59.999Z', onMar01: false, afterLapse: false },
    { at: '2025-02-13T00:00:00.000Z', onMar01: true, afterLapse: true },
    { at: '2025-03-20T23:59:59.999Z', onMar01: true, afterLapse: true },
    { at: '2025-03-21T00:00:00.000Z', onMar01: true, afterLapse: false },
  ])('worked example post at $at', ({ at, onMar01, afterLapse }) => {
    const subscribed = decideFromPeriods([FIRST_PERIOD, OPEN_SECOND_PERIOD], WORKED_POLICY, MAR_01);
    const lapsed = decideFromPeriods([FIRST_PERIOD, ENDED_SECOND_PERIOD], WORKED_POLICY, MAR_21);

    const readableOnMar01 = canReadPostAt(subscribed, Date.parse(at));
    const readableAfterLapse = canReadPostAt(lapsed, Date.parse(at));

    expect(readableOnMar01).toBe(onMar01);
    expect(readableAfterLapse).toBe(afterLapse);
  });

  it('denies a user without periods', () => {
    const decision = decideFromPeriods([], WORKED_POLICY, MAR_01);

    expect(decision).toEqual({ mode: 'DENY', validUntil: Date.parse('2025-03-01T12:00:30.000Z') });
  });

  it('denies before the first period starts', () => {
    const periods = [{ start: Date.parse('2025-03-01T12:00:10.000Z') }];

    const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_01);

    expect(decision).toEqual({ mode: 'DENY', validUntil: Date.parse('2025-03-01T12:00:10.000Z') });
  });

  it('grants a period starting now', () => {
    const periods = [{ start: MAR_01 }];

    const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_01);

    expect(decision).toEqual({ mode: 'FULL', readWindows: [{}], validUntil: Date.parse('2025-03-01T12:00:30.000Z') });
  });

  it('applies a numeric initial backfill', () => {
    const policy: AccessPolicy = { initial_backfill_days: 3, resubscribe_backfill_days: 7, keep_archive_after_lapse: true };

    const decision = decideFromPeriods([OPEN_SECOND_PERIOD], policy, MAR_01);

    expect(decision).toEqual({
      mode: 'FULL',
      readWindows: [{ start: Date.parse('2025-02-17T00:00:00.000Z') }],
      validUntil: Date.parse('2025-03-01T12:00:30.000Z'),
    });
  });

  it('ignores a future period after a lapse', () => {
    const periods = [FIRST_PERIOD, { start: Date.parse('2025-04-01T00:00:00.000Z') }];

    const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_01);

    expect(decision).toEqual({
      mode: 'ARCHIVE_UNTIL',
      until: Date.parse('2025-01-31T23:59:59.999Z'),
      readWindows: [{}],
      validUntil: Date.parse('2025-03-01T12:00:30.000Z'),
    });
  });

  describe('without keep_archive_after_lapse', () => {
    it('denies after the last period lapses', () => {
      const periods = [FIRST_PERIOD, ENDED_SECOND_PERIOD];

      const decision = decideFromPeriods(periods, NO_ARCHIVE_POLICY, MAR_21);

      expect(decision).toEqual({ mode: 'DENY', validUntil: Date.parse('2025-03-21T00:00:30.000Z') });
    });

    it('denies between periods', () => {
      const periods = [FIRST_PERIOD, OPEN_SECOND_PERIOD];

      const decision = decideFromPeriods(periods, NO_ARCHIVE_POLICY, Date.parse('2025-02-05T00:00:00.000Z'));

      expect(decision).toEqual({ mode: 'DENY', validUntil: Date.parse('2025-02-05T00:00:30.000Z') });
    });

    it('reads only the current window', () => {
      const periods = [FIRST_PERIOD, OPEN_SECOND_PERIOD];

      const decision = decideFromPeriods(periods, NO_ARCHIVE_POLICY, MAR_01);

      expect(decision).toEqual({
        mode: 'FULL',
        readWindows: [{ start: Date.parse('2025-02-13T00:00:00.000Z') }],
        validUntil: Date.parse('2025-03-01T12:00:30.000Z'),
      });
    });

    it('reads the whole archive in the first period', () => {
      const decision = decideFromPeriods([FIRST_PERIOD], NO_ARCHIVE_POLICY, Date.parse('2025-01-15T00:00:00.000Z'));

      expect(decision).toEqual({ mode: 'FULL', readWindows: [{}], validUntil: Date.parse('2025-01-15T00:00:30.000Z') });
    });

    // A renewal starting 1 ms after the previous period's inclusive end leaves
    // no instant uncovered, so the subscriber never lapsed.
    it('treats a gapless renewal as one subscription', () => {
      const periods = [FIRST_PERIOD, { start: Date.parse('2025-02-01T00:00:00.000Z') }];

      const decision = decideFromPeriods(periods, NO_ARCHIVE_POLICY, MAR_01);

      expect(decision).toEqual({ mode: 'FULL', readWindows: [{}], validUntil: Date.parse('2025-03-01T12:00:30.000Z') });
    });
  });

  describe('overlapping periods', () => {
    it('merge into the first subscription', () => {
      const policy: AccessPolicy = { initial_backfill_days: 0, resubscribe_backfill_days: 7, keep_archive_after_lapse: false };
      const periods = [{ start: Date.parse('2025-01-15T00:00:00.000Z') }, FIRST_PERIOD];

      const decision = decideFromPeriods(periods, policy, MAR_01);

      expect(decision).toEqual({
        mode: 'FULL',
        readWindows: [{ start: Date.parse('2025-01-01T00:00:00.000Z') }],
        validUntil: Date.parse('2025-03-01T12:00:30.000Z'),
      });
    });

    it('keep an open period open', () => {
      const periods = [{ start: JAN_01 }, { start: Date.parse('2025-02-01T00:00:00.000Z'), end: Date.parse('2025-02-10T23:59:59.999Z') }];

      const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_01);

      expect(decision).toEqual({ mode: 'FULL', readWindows: [{}], validUntil: Date.parse('2025-03-01T12:00:30.000Z') });
    });

    it('take the later end', () => {
      const periods = [FIRST_PERIOD, { start: Date.parse('2025-01-20T00:00:00.000Z'), end: Date.parse('2025-02-10T23:59:59.999Z') }];

      const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_01);

      expect(decision).toEqual({
        mode: 'ARCHIVE_UNTIL',
        until: Date.parse('2025-02-10T23:59:59.999Z'),
        readWindows: [{}],
        validUntil: Date.parse('2025-03-01T12:00:30.000Z'),
      });
    });
  });

  describe('validUntil', () => {
    it.each([
      { case: 'no boundary ahead', periods: [{ start: JAN_01 }], expected: '2025-03-01T12:00:30.000Z' },
      { case: 'boundary 31 s ahead', periods: [{ start: JAN_01, end: Date.parse('2025-03-01T12:00:30.999Z') }], expected: '2025-03-01T12:00:30.000Z' },
      { case: 'period end 5 s ahead', periods: [{ start: JAN_01, end: Date.parse('2025-03-01T12:00:05.000Z') }], expected: '2025-03-01T12:00:05.001Z' },
      { case: 'period end now', periods: [{ start: JAN_01, end: MAR_01 }], expected: '2025-03-01T12:00:00.001Z' },
      { case: 'period start 10 s ahead', periods: [FIRST_PERIOD, { start: Date.parse('2025-03-01T12:00:10.000Z') }], expected: '2025-03-01T12:00:10.000Z' },
      {
        case: 'earliest of several',
        periods: [
          { start: Date.parse('2025-03-01T12:00:20.000Z') },
          { start: JAN_01, end: Date.parse('2025-03-01T12:00:15.000Z') },
          { start: Date.parse('2025-03-01T12:00:12.000Z'), end: Date.parse('2025-03-01T12:00:25.000Z') },
        ],
        expected: '2025-03-01T12:00:12.000Z',
      },
      { case: 'past boundaries only', periods: [FIRST_PERIOD, { start: FEB_20, end: Date.parse('2025-02-28T23:59:59.999Z') }], expected: '2025-03-01T12:00:30.000Z' },
    ])('$case', ({ periods, expected }) => {
      const decision = decideFromPeriods(periods, WORKED_POLICY, MAR_01);

      expect(decision.validUntil).toBe(Date.parse(expected));
    });
  });
});
