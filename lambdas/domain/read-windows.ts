/**
 * Access decisions and the read-window predicate. This module is the single
 * implementation of "may this user read a post published at T": the feed,
 * single-post reads, realtime deltas and media URLs all call `canReadPostAt`.
 */

export const ACCESS_MODES = ['FULL', 'ARCHIVE_UNTIL', 'DENY'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** A closed time range in epoch milliseconds; a missing bound is unbounded. */
export interface ReadWindow {
  readonly start?: number;
  readonly end?: number;
}

export interface AccessDecision {
  readonly mode: AccessMode;
  /** With ARCHIVE_UNTIL: the latest readable `published_at`, epoch ms. */
  readonly until?: number;
  /** When present, a post is readable only inside one of these windows. */
  readonly readWindows?: readonly ReadWindow[];
  /**
   * Epoch ms after which the decision must be asked for again: the cache
   * lifetime, never past the next window edge or period boundary.
   */
  readonly validUntil: number;
}

export const DENY: Omit<AccessDecision, 'validUntil'> = { mode: 'DENY' };

/** True when a post published at `publishedAt` (epoch ms) is readable under `decision`. */
export function canReadPostAt(decision: AccessDecision, publishedAt: number): boolean {
  if (decision.mode === 'DENY') return false;

  const beyondArchive = decision.mode === 'ARCHIVE_UNTIL' && (decision.until === undefined || publishedAt > decision.until);
  if (beyondArchive) return false;

  if (decision.readWindows === undefined) return true;
  return decision.readWindows.some((window) => isInsideWindow(window, publishedAt));
}

function isInsideWindow(window: ReadWindow, instant: number): boolean {
  const afterStart = window.start === undefined || instant >= window.start;
  const beforeEnd = window.end === undefined || instant <= window.end;
  return afterStart && beforeEnd;
}

/**
 * Returns the time ranges a decision admits, sorted and merged, with the
 * ARCHIVE_UNTIL cut applied. Feed paging turns these into seq ranges; the
 * result admits exactly the instants `canReadPostAt` admits.
 */
export function effectiveWindows(decision: AccessDecision): ReadWindow[] {
  if (decision.mode === 'DENY') return [];
  if (decision.mode === 'ARCHIVE_UNTIL' && decision.until === undefined) return [];

  const cap = decision.mode === 'ARCHIVE_UNTIL' ? decision.until : undefined;
  const windows = decision.readWindows ?? [{}];
  const capped: ReadWindow[] = [];
  for (const window of windows) {
    const end = minBound(window.end, cap);
    const empty = window.start !== undefined && end !== undefined && window.start > end;
    if (!empty) capped.push({ start: window.start, end });
  }
  return mergeWindows(capped);
}

/** Sorts windows by start and merges the ones that overlap or touch. */
export function mergeWindows(windows: readonly ReadWindow[]): ReadWindow[] {
  const sorted = [...windows].sort((a, b) => (a.start ?? -Infinity) - (b.start ?? -Infinity));
  const merged: ReadWindow[] = [];
  for (const window of sorted) {
    const last = merged[merged.length - 1];
    const overlaps = last !== undefined && (last.end === undefined || window.start === undefined || window.start <= last.end + 1);
    if (last && overlaps) {
      const end = last.end === undefined || window.end === undefined ? undefined : Math.max(last.end, window.end);
      merged[merged.length - 1] = { start: last.start, end };
    } else {
      merged.push({ ...window });
    }
  }
  return merged;
}

function minBound(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Converts the decision to its API form: ISO 8601 instants, unbounded ends omitted. */
export function decisionToJson(decision: AccessDecision): {
  mode: AccessMode;
  until?: string;
  read_windows?: { start?: string; end?: string }[];
} {
  const json: ReturnType<typeof decisionToJson> = { mode: decision.mode };
  if (decision.until !== undefined) json.until = new Date(decision.until).toISOString();
  if (decision.readWindows !== undefined) {
    json.read_windows = decision.readWindows.map((window) => ({
      ...(window.start !== undefined && { start: new Date(window.start).toISOString() }),
      ...(window.end !== undefined && { end: new Date(window.end).toISOString() }),
    }));
  }
  return json;
}
