import { mergeWindows, type AccessDecision, type ReadWindow } from './read-windows.js';

/**
 * How the built-in provider turns a user's subscription periods into a
 * decision. `null` backfill means the whole archive before the period.
 */
export interface AccessPolicy {
  readonly initial_backfill_days: number | null;
  readonly resubscribe_backfill_days: number;
  readonly keep_archive_after_lapse: boolean;
}

/** A subscription period in epoch ms; `end` undefined is open. */
export interface SubscriptionPeriod {
  readonly start: number;
  readonly end?: number;
}

/** First subscription reads the whole archive, re-subscribing backfills 7 days, lapsed users keep their archive. */
export const DEFAULT_ACCESS_POLICY: AccessPolicy = {
  initial_backfill_days: null,
  resubscribe_backfill_days: 7,
  keep_archive_after_lapse: true,
};

const DAY_MS = 86_400_000;

/** Built-in decisions are recomputed at least this often even without a boundary ahead. */
const MAX_DECISION_LIFETIME_MS = 30_000;

/**
 * Computes the decision for one user and channel at `now` (epoch ms).
 *
 * Periods that have not started yet are ignored. Each started period opens a
 * window from its start minus the backfill (the first period uses the initial
 * backfill, later ones the re-subscribe backfill) to its end. The latest
 * period's window is left open because the mode already bounds it: FULL
 * while it runs, ARCHIVE_UNTIL its end after it lapses. Without
 * `keep_archive_after_lapse`, a lapsed user is denied and a re-subscribed
 * user reads only the current period's window.
 */
export function decideFromPeriods(
  periods: readonly SubscriptionPeriod[],
  policy: AccessPolicy,
  now: number,
): AccessDecision {
  const started = mergePeriods(periods.filter((period) => period.start <= now));
  const validUntil = nextBoundary(periods, now);
  const latest = started[started.length - 1];
  if (!latest) return { mode: 'DENY', validUntil };

  const active = latest.end === undefined || latest.end >= now;
  if (!active && !policy.keep_archive_after_lapse) return { mode: 'DENY', validUntil };

  const windows: ReadWindow[] = started.map((period, index) => {
    const backfillDays = index === 0 ? policy.initial_backfill_days : policy.resubscribe_backfill_days;
    const start = backfillDays === null ? undefined : period.start - backfillDays * DAY_MS;
    const end = period === latest ? undefined : period.end;
    return { start, end };
  });
  const readWindows = policy.keep_archive_after_lapse ? mergeWindows(windows) : windows.slice(-1);

  if (active) return { mode: 'FULL', readWindows, validUntil };
  return { mode: 'ARCHIVE_UNTIL', until: latest.end, readWindows, validUntil };
}

/** Sorts periods by start and merges overlapping ones, so "first period" means the first contiguous subscription. */
function mergePeriods(periods: readonly SubscriptionPeriod[]): SubscriptionPeriod[] {
  const sorted = [...periods].sort((a, b) => a.start - b.start);
  const merged: SubscriptionPeriod[] = [];
  for (const period of sorted) {
    const last = merged[merged.length - 1];
    // Ends are inclusive, so a period starting 1 ms after the previous end renews it without a gap.
    const overlaps = last !== undefined && (last.end === undefined || period.start <= last.end + 1);
    if (last && overlaps) {
      const end = last.end === undefined || period.end === undefined ? undefined : Math.max(last.end, period.end);
      merged[merged.length - 1] = { start: last.start, end };
    } else {
      merged.push(period);
    }
  }
  return merged;
}

/** Returns the next instant after `now` at which a period starts or ends, capped by the maximum lifetime. */
function nextBoundary(periods: readonly SubscriptionPeriod[], now: number): number {
  let boundary = now + MAX_DECISION_LIFETIME_MS;
  for (const period of periods) {
    if (period.start > now) boundary = Math.min(boundary, period.start);
    // A period's end is inclusive, so the decision changes one ms later.
    if (period.end !== undefined && period.end >= now) boundary = Math.min(boundary, period.end + 1);
  }
  return boundary;
}
