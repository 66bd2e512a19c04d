import { randomBytes } from 'node:crypto';

/** A post as stored in the posts table (one item per channel and seq). */
export interface StoredPost {
  readonly channel_id: string;
  readonly seq: number;
  readonly post_id: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly published_at: string;
  /** `published_at#seq`, the sort key of the by-published-at index. */
  readonly published_key: string;
  readonly author_id: string;
  readonly body_text: string | null;
  readonly attachments: readonly AttachmentMetadata[];
  readonly edited_at: string | null;
  readonly version: number;
  readonly is_deleted: boolean;
}

export interface AttachmentMetadata {
  readonly id: string;
  readonly file_name: string;
  readonly content_type: string;
  readonly size: number;
}

/** The post as the API returns it. Tombstones keep id and seq and drop all content. */
export interface PostView {
  id: string;
  channel_id: string;
  seq: number;
  published_at: string;
  author_id: string;
  body_text: string | null;
  attachments: AttachmentMetadata[];
  edited_at: string | null;
  version: number;
  is_deleted: boolean;
}

/** Digits enough for any seq below 2^53, so string order equals numeric order. */
const SEQ_DIGITS = 16;
/** At most 15 digits, so every seq an id names is a safe integer (below 2^53). */
const SEQUENCED_ID_PATTERN = /^_([1-9][0-9]{0,14})_([0-9a-f]{16})$/;

/**
 * Creates a post id that embeds its seq, so a single-post read is one
 * strongly consistent GetItem on (channel, seq). The random part keeps ids
 * unguessable; readers compare the whole id before returning anything.
 */
export function newPostId(seq: number): string {
  return newSequencedId('p', seq);
}

/** Extracts the seq from a post id, or undefined when the id is not one of ours. */
export function seqOfPostId(postId: string): number | undefined {
  return seqOfSequencedId('p', postId);
}

/** `<prefix>_<seq>_<16 hex>`: an id that names its seq, as posts and forum messages have. */
export function newSequencedId(prefix: string, seq: number): string {
  return `${prefix}_${seq}_${randomBytes(8).toString('hex')}`;
}

/** Returns the seq a `<prefix>_<seq>_<16 hex>` id names, or undefined when the id is not of that form. */
export function seqOfSequencedId(prefix: string, id: string): number | undefined {
  if (!id.startsWith(`${prefix}_`)) return undefined;
  const match = SEQUENCED_ID_PATTERN.exec(id.slice(prefix.length));
  if (!match?.[1]) return undefined;
  return Number(match[1]);
}

/** Sort key of a by-time index: `<ISO time>#<seq, zero-padded>`, so entries sharing a time still sort by seq. */
export function publishedKey(publishedAt: string, seq: number): string {
  return `${publishedAt}#${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** Lowest published_key of any post published at or after `instant` (epoch ms). */
export function publishedKeyLowerBound(instant: number): string {
  return new Date(instant).toISOString();
}

/** Highest published_key of any post published at or before `instant` (epoch ms). */
export function publishedKeyUpperBound(instant: number): string {
  return `${new Date(instant).toISOString()}#${'9'.repeat(SEQ_DIGITS)}`;
}

/**
 * Chooses `published_at` for a new post: the clock, unless the channel's
 * latest post is later (the clock stepped back), so time never decreases
 * with seq and a time window is one contiguous seq range.
 */
export function nextPublishedAt(now: number, lastPublishedAt: string | undefined): string {
  const last = lastPublishedAt === undefined ? -Infinity : Date.parse(lastPublishedAt);
  return new Date(Math.max(now, last)).toISOString();
}

export function toPostView(post: StoredPost): PostView {
  if (post.is_deleted) {
    return {
      id: post.post_id,
      channel_id: post.channel_id,
      seq: post.seq,
      published_at: post.published_at,
      author_id: post.author_id,
      body_text: null,
      attachments: [],
      edited_at: post.edited_at,
      version: post.version,
      is_deleted: true,
    };
  }
  return {
    id: post.post_id,
    channel_id: post.channel_id,
    seq: post.seq,
    published_at: post.published_at,
    author_id: post.author_id,
    body_text: post.body_text,
    attachments: [...post.attachments],
    edited_at: post.edited_at,
    version: post.version,
    is_deleted: false,
  };
}
