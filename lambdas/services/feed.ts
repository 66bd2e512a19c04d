import type { App } from '../app.js';
import type { StoredChannel } from '../adapters/channel-store.js';
import { postsLog } from '../adapters/post-store.js';
import { firstSeqAtOrAfter, getEntry, lastSeqAtOrBefore, queryEntryRange, type SequenceLog } from '../adapters/sequence-log.js';
import { pagePosition, rangesToRead, windowsInReadingOrder, type FeedCursor, type PagePosition, type SeqRange } from '../domain/feed.js';
import { toPostView, type PostView, type StoredPost } from '../domain/posts.js';
import { canReadPostAt, effectiveWindows, type AccessDecision, type ReadWindow } from '../domain/read-windows.js';

export interface FeedPage extends PagePosition {
  posts: PostView[];
  last_seq: number;
}

/** One partition of a sequence log (a channel's posts or a topic's messages) and how to read an entry's time. */
export interface SequenceSource<Entry> {
  readonly log: SequenceLog;
  readonly partition: string;
  /** The counter read before the page; entries committed later are left for the next page. */
  readonly lastSeq: number;
  /** The time the read windows apply to, epoch ms. */
  readonly timeOf: (entry: Entry) => number;
}

export interface SequencePage<Entry> extends PagePosition {
  readonly entries: Entry[];
}

/** Reads one page of a channel feed for a reader with `decision`; see {@link readSequencePage}. */
export async function readFeedPage(app: App, channel: StoredChannel, decision: AccessDecision, cursor: FeedCursor, limit: number): Promise<FeedPage> {
  const source: SequenceSource<StoredPost> = {
    log: postsLog(app.config.tables),
    partition: channel.channel_id,
    lastSeq: channel.last_seq,
    timeOf: (post) => Date.parse(post.published_at),
  };
  const { entries, ...position } = await readSequencePage(app, source, decision, cursor, limit);
  return { posts: entries.map(toPostView), ...position, last_seq: channel.last_seq };
}

/**
 * Reads one page of a sequence log for a reader with `decision`. The
 * reader's windows are visited in reading order from the cursor; each
 * becomes a seq range with one index read per bounded edge, and only that
 * range is queried. A page therefore costs a few requests however many
 * entries are hidden, and only the windows it reaches cost lookups. Every
 * returned entry also passes `canReadPostAt`.
 */
export async function readSequencePage<Entry extends { seq: number }>(
  app: App,
  source: SequenceSource<Entry>,
  decision: AccessDecision,
  cursor: FeedCursor,
  limit: number,
): Promise<SequencePage<Entry>> {
  const { lastSeq } = source;
  const cursorTime = await timeOfCursor(app, source, cursor);
  const windows = windowsInReadingOrder(effectiveWindows(decision), cursor.direction, cursorTime);

  // One extra entry shows whether another page follows.
  const fetchCount = limit + 1;
  const collected: Entry[] = [];
  for (const window of windows) {
    if (collected.length >= fetchCount) break;
    const range = await seqRangeOf(app, source, window);
    if (!range) continue;

    for (const clipped of rangesToRead([range], cursor, lastSeq)) {
      const entries = await queryEntryRange<Entry>(app.db, source.log, source.partition, clipped, fetchCount - collected.length, cursor.direction === 'after');
      collected.push(...entries);
    }
  }

  const visible = collected.filter((entry) => canReadPostAt(decision, source.timeOf(entry)));
  const page = visible.slice(0, limit);
  const lastReturnedSeq = visible.length > limit ? page[page.length - 1]?.seq : undefined;
  return { entries: page, ...pagePosition(cursor, lastSeq, lastReturnedSeq) };
}

/**
 * Returns the time (epoch ms) of the entry at the cursor, so windows behind
 * it need no lookup. Undefined when the cursor is outside 1..lastSeq.
 */
async function timeOfCursor<Entry>(app: App, source: SequenceSource<Entry>, cursor: FeedCursor): Promise<number | undefined> {
  if (cursor.seq < 1 || cursor.seq > source.lastSeq) return undefined;
  const entry = await getEntry<Entry>(app.db, source.log, source.partition, cursor.seq);
  return entry ? source.timeOf(entry) : undefined;
}

/** Turns a time window into the seq range of entries 1..lastSeq inside it, or undefined when it contains none. */
async function seqRangeOf<Entry>(app: App, source: SequenceSource<Entry>, window: ReadWindow): Promise<SeqRange | undefined> {
  const { log, partition, lastSeq } = source;
  if (lastSeq === 0) return undefined;

  const [from, to] = await Promise.all([
    window.start === undefined ? 1 : firstSeqAtOrAfter(app.db, log, partition, window.start),
    window.end === undefined ? lastSeq : lastSeqAtOrBefore(app.db, log, partition, window.end),
  ]);
  if (from === undefined || to === undefined || from > to) return undefined;
  return { from, to: Math.min(to, lastSeq) };
}
