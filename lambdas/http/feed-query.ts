import { InvalidRequestError } from '../domain/errors.js';
import { DEFAULT_PAGE_SIZE, type FeedCursor } from '../domain/feed.js';

/** The parsed query of a feed page (channel posts or topic messages). */
export interface FeedQuery {
  readonly after_seq?: string;
  readonly before_seq?: string;
  readonly limit?: string;
}

/** Turns `after_seq` (default 0) or `before_seq` into a cursor; both at once is a 400. */
export function feedCursor(query: FeedQuery): FeedCursor {
  if (query.after_seq !== undefined && query.before_seq !== undefined) {
    throw new InvalidRequestError('before_seq', 'cannot be combined with after_seq; page in one direction');
  }
  return query.before_seq === undefined ? { direction: 'after', seq: Number(query.after_seq ?? 0) } : { direction: 'before', seq: Number(query.before_seq) };
}

export function pageLimit(query: { readonly limit?: string }): number {
  return query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
}
