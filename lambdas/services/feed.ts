import type { App } from '../app.js';
import type { StoredChannel } from '../adapters/channel-store.js';
import { firstSeqAtOrAfter, getPost, lastSeqAtOrBefore, queryPostRange } from '../adapters/post-store.js';
import { pagePosition, rangesToRead, windowsInReadingOrder, type FeedCursor, type PagePosition, type SeqRange } from '../domain/feed.js';
import { toPostView, type PostView, type StoredPost } from '../domain/posts.js';
import { canReadPostAt, effectiveWindows, type AccessDecision, type ReadWindow } from '../domain/read-windows.js';

export interface FeedPage extends PagePosition {
  posts: PostView[];
  last_seq: number;
}

/**
 * Reads one page of a channel feed for a reader with `decision`. The
 * reader's windows are visited in reading order from the cursor; each
 * becomes a seq range with one index read per bounded edge, and only that
 * range is queried. A page therefore costs a few requests however many
 * posts are hidden, and only the windows it reaches cost lookups. Every
 * returned post also passes `canReadPostAt`.
 */
export async function readFeedPage(app: App, channel: StoredChannel, decision: AccessDecision, cursor: FeedCursor, limit: number): Promise<FeedPage> {
  const lastSeq = channel.last_seq;
  const cursorTime = await publishedAtOfCursor(app, channel.channel_id, cursor, lastSeq);
  const windows = windowsInReadingOrder(effectiveWindows(decision), cursor.direction, cursorTime);

  // One extra post shows whether another page follows.
  const fetchCount = limit + 1;
  const collected: StoredPost[] = [];
  for (const window of windows) {
    if (collected.length >= fetchCount) break;
    const range = await seqRangeOf(app, channel.channel_id, window, lastSeq);
    if (!range) continue;

    for (const clipped of rangesToRead([range], cursor, lastSeq)) {
      const posts = await queryPostRange(app.db, app.config.tables, channel.channel_id, clipped, fetchCount - collected.length, cursor.direction === 'after');
      collected.push(...posts);
    }
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

/**
 * Returns the `published_at` of the post at the cursor (epoch ms), so windows
 * behind it need no lookup. Undefined when the cursor is outside 1..lastSeq.
 */
async function publishedAtOfCursor(app: App, channelId: string, cursor: FeedCursor, lastSeq: number): Promise<number | undefined> {
  if (cursor.seq < 1 || cursor.seq > lastSeq) return undefined;
  const post = await getPost(app.db, app.config.tables, channelId, cursor.seq);
  return post ? Date.parse(post.published_at) : undefined;
}

/** Turns a time window into the seq range of posts 1..lastSeq inside it, or undefined when it contains none. */
async function seqRangeOf(app: App, channelId: string, window: ReadWindow, lastSeq: number): Promise<SeqRange | undefined> {
  if (lastSeq === 0) return undefined;

  const [from, to] = await Promise.all([
    window.start === undefined ? 1 : firstSeqAtOrAfter(app.db, app.config.tables, channelId, window.start),
    window.end === undefined ? lastSeq : lastSeqAtOrBefore(app.db, app.config.tables, channelId, window.end),
  ]);
  if (from === undefined || to === undefined || from > to) return undefined;
  return { from, to: Math.min(to, lastSeq) };
}
