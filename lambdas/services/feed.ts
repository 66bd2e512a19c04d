import type { App } from '../app.js';
import type { StoredChannel } from '../adapters/channel-store.js';
import { firstSeqAtOrAfter, lastSeqAtOrBefore, queryPostRange } from '../adapters/post-store.js';
import { pagePosition, rangesToRead, type FeedCursor, type PagePosition, type SeqRange } from '../domain/feed.js';
import { toPostView, type PostView, type StoredPost } from '../domain/posts.js';
import { canReadPostAt, effectiveWindows, type AccessDecision, type ReadWindow } from '../domain/read-windows.js';

export interface FeedPage extends PagePosition {
  posts: PostView[];
  last_seq: number;
}

/**
 * Reads one page of a channel feed for a reader with `decision`. Windows
 * become seq ranges with one index read per bounded edge; only those ranges
 * are queried, so a page costs a few requests however many posts are
 * hidden. Every returned post also passes `canReadPostAt`.
 */
export async function readFeedPage(app: App, channel: StoredChannel, decision: AccessDecision, cursor: FeedCursor, limit: number): Promise<FeedPage> {
  const lastSeq = channel.last_seq;
  const readable = await readableSeqRanges(app, channel.channel_id, effectiveWindows(decision), lastSeq);

  // One extra post tells whether another page follows.
  const wanted = limit + 1;
  const collected: StoredPost[] = [];
  for (const range of rangesToRead(readable, cursor, lastSeq)) {
    const posts = await queryPostRange(app.db, app.config.tables, channel.channel_id, range, wanted - collected.length, cursor.direction === 'after');
    collected.push(...posts);
    if (collected.length >= wanted) break;
  }

  const visible = collected.filter((post) => canReadPostAt(decision, Date.parse(post.published_at)));
  const page = visible.slice(0, limit);
  const lastReturnedSeq = visible.length > limit ? page[page.length - 1]?.seq : undefined;
  return {
    posts: page.map(toPostView),
    ...pagePosition(cursor, lastSeq, lastReturnedSeq),
    last_seq: lastSeq,
  };
}

/** Turns time windows into seq ranges of posts 1..lastSeq, skipping windows that contain no post. */
async function readableSeqRanges(app: App, channelId: string, windows: readonly ReadWindow[], lastSeq: number): Promise<SeqRange[]> {
  if (lastSeq === 0) return [];

  const ranges = await Promise.all(
    windows.map(async (window): Promise<SeqRange | undefined> => {
      const [from, to] = await Promise.all([
        window.start === undefined ? 1 : firstSeqAtOrAfter(app.db, app.config.tables, channelId, window.start),
        window.end === undefined ? lastSeq : lastSeqAtOrBefore(app.db, app.config.tables, channelId, window.end),
      ]);
      if (from === undefined || to === undefined || from > to) return undefined;
      return { from, to: Math.min(to, lastSeq) };
    }),
  );
  return ranges.filter((range): range is SeqRange => range !== undefined);
}
