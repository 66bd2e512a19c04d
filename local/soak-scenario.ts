/**
 * The soak run's fixed scenario: two channel policies, four reader profiles
 * with their subscription periods, and the read windows each profile must
 * get under each policy. The windows are literal instants worked out by hand
 * from the policy rules: backfill before a period's start, the latest period
 * left open, and ARCHIVE_UNTIL cutting at a lapsed period's end. So the soak
 * checks the product against this table, not against the product's own code.
 */

export const CHANNEL_POLICIES = {
  /** First subscription reads the whole archive, re-subscribing backfills 7 days, lapsed users keep their archive. */
  'whole-archive': { initial_backfill_days: null, resubscribe_backfill_days: 7, keep_archive_after_lapse: true },
  /** First subscription backfills 30 days, so a late subscriber misses older history. */
  'backfill-30': { initial_backfill_days: 30, resubscribe_backfill_days: 7, keep_archive_after_lapse: true },
} as const;

export type PolicyName = keyof typeof CHANNEL_POLICIES;
export const POLICY_NAMES = Object.keys(CHANNEL_POLICIES) as PolicyName[];

/** A closed range of ISO instants. A missing bound is unbounded. */
export interface ExpectedWindow {
  readonly start?: string;
  readonly end?: string;
}

export interface ReaderProfile {
  /** Body of PUT /api/admin/access/{channelId}/users/{userId}. */
  readonly periods: readonly { readonly start: string; readonly end: string | null }[];
  /** Readable ranges under each policy, with ARCHIVE_UNTIL already applied. */
  readonly windows: Readonly<Record<PolicyName, readonly ExpectedWindow[]>>;
}

export const READER_PROFILES = {
  /** Subscribed since 2024 and still subscribed. */
  full: {
    periods: [{ start: '2024-01-01T00:00:00.000Z', end: null }],
    windows: {
      'whole-archive': [{}],
      'backfill-30': [{ start: '2023-12-02T00:00:00.000Z' }],
    },
  },
  /** Lapsed before the soak: ARCHIVE_UNTIL the period's end, so no live post is readable. */
  lapsed: {
    periods: [{ start: '2024-12-01T00:00:00.000Z', end: '2025-03-31T23:59:59.999Z' }],
    windows: {
      'whole-archive': [{ end: '2025-03-31T23:59:59.999Z' }],
      'backfill-30': [{ start: '2024-11-01T00:00:00.000Z', end: '2025-03-31T23:59:59.999Z' }],
    },
  },
  /** Lapsed after February and re-subscribed on May 1: March 1 to April 23 stays hidden. */
  returning: {
    periods: [
      { start: '2025-01-01T00:00:00.000Z', end: '2025-02-28T23:59:59.999Z' },
      { start: '2025-05-01T00:00:00.000Z', end: null },
    ],
    windows: {
      'whole-archive': [{ end: '2025-02-28T23:59:59.999Z' }, { start: '2025-04-24T00:00:00.000Z' }],
      'backfill-30': [
        { start: '2024-12-02T00:00:00.000Z', end: '2025-02-28T23:59:59.999Z' },
        { start: '2025-04-24T00:00:00.000Z' },
      ],
    },
  },
  /** First subscribed in the middle of the imported history. */
  late: {
    periods: [{ start: '2025-05-01T00:00:00.000Z', end: null }],
    windows: {
      'whole-archive': [{}],
      'backfill-30': [{ start: '2025-04-01T00:00:00.000Z' }],
    },
  },
} as const satisfies Record<string, ReaderProfile>;

export type ProfileName = keyof typeof READER_PROFILES;
export const PROFILE_NAMES = Object.keys(READER_PROFILES) as ProfileName[];

/** Returns the policy of channel `index`; the policies alternate. */
export function policyOfChannel(index: number): PolicyName {
  return POLICY_NAMES[index % POLICY_NAMES.length]!;
}

/** True when `profile` may read a post published at `publishedAt` (ISO) in a channel with `policy`; both window ends inclusive. */
export function isReadable(profile: ProfileName, policy: PolicyName, publishedAt: string): boolean {
  const instant = Date.parse(publishedAt);
  return READER_PROFILES[profile].windows[policy].some((window: ExpectedWindow) => {
    const afterStart = window.start === undefined || instant >= Date.parse(window.start);
    const beforeEnd = window.end === undefined || instant <= Date.parse(window.end);
    return afterStart && beforeEnd;
  });
}

/**
 * Instants one ms either side of every window edge above, so the imported
 * history tests that both ends are inclusive.
 */
const EDGE_INSTANTS = [
  '2024-10-31T23:59:59.999Z',
  '2024-11-01T00:00:00.000Z',
  '2024-12-01T23:59:59.999Z',
  '2024-12-02T00:00:00.000Z',
  '2025-02-28T23:59:59.999Z',
  '2025-03-01T00:00:00.000Z',
  '2025-03-31T23:59:59.999Z',
  '2025-04-01T00:00:00.000Z',
  '2025-04-23T23:59:59.999Z',
  '2025-04-24T00:00:00.000Z',
] as const;

const HISTORY_START = Date.parse('2024-10-01T00:00:00.000Z');
const HISTORY_STEP_MS = 5 * 86_400_000;

/**
 * Returns the `published_at` of each imported history post, ascending: the
 * edge instants plus `gridPosts` posts 5 days apart from 2024-10-01, so 60
 * grid posts reach late May 2025 and every profile's windows cut the history.
 */
export function historyInstants(gridPosts: number): string[] {
  const grid = Array.from({ length: gridPosts }, (_, index) => new Date(HISTORY_START + index * HISTORY_STEP_MS).toISOString());
  return [...new Set([...grid, ...EDGE_INSTANTS])].sort();
}
