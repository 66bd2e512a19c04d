/**
 * Deltas: the identifiers-only messages that tell a client "this changed,
 * fetch it over REST". Built from the before and after images of a post as
 * the table stream delivers them; never carries a body or attachment data.
 */

export const POST_DELTA_TYPES = ['post.published', 'post.updated', 'post.deleted'] as const;
export type PostDeltaType = (typeof POST_DELTA_TYPES)[number];

/** The frame a subscribed socket receives: identifiers only. */
export interface PostDelta {
  readonly type: PostDeltaType;
  readonly channel_id: string;
  readonly seq: number;
  readonly post_id: string;
  /** `channel_id:seq:version`: equal for redeliveries of one change, different for a second edit. */
  readonly dedupe_key: string;
}

/** A delta with what delivery needs but the frame must not carry. */
export interface PostChange {
  readonly delta: PostDelta;
  /** The delta's `dedupe_key`. */
  readonly dedupeKey: string;
  readonly version: number;
  /** Epoch ms; the read-window predicate decides delivery on it. */
  readonly publishedAt: number;
}

/** The post fields a stream image must have for a delta. */
export interface PostImage {
  readonly channel_id: string;
  readonly seq: number;
  readonly post_id: string;
  readonly published_at: string;
  readonly version: number;
  readonly is_deleted: boolean;
}

/**
 * Classifies a stream record: an insert is a publish, a change that turns
 * the post into a tombstone is a delete, any other version bump is an edit.
 * Returns undefined for records that change nothing a client sees (removals
 * and writes that leave the version alone).
 */
export function postChangeOf(oldImage: PostImage | undefined, newImage: PostImage | undefined): PostChange | undefined {
  if (!newImage) return undefined;

  let type: PostDeltaType;
  if (!oldImage) type = 'post.published';
  else if (newImage.is_deleted && !oldImage.is_deleted) type = 'post.deleted';
  else if (newImage.version > oldImage.version && !newImage.is_deleted) type = 'post.updated';
  else return undefined;

  const dedupeKey = `${newImage.channel_id}:${newImage.seq}:${newImage.version}`;
  return {
    delta: { type, channel_id: newImage.channel_id, seq: newImage.seq, post_id: newImage.post_id, dedupe_key: dedupeKey },
    dedupeKey,
    version: newImage.version,
    publishedAt: Date.parse(newImage.published_at),
  };
}

/** Sent when a subscription ends without the client asking. */
export const UNSUBSCRIBE_REASONS = ['access_denied', 'access_ended', 'requested'] as const;
export type UnsubscribeReason = (typeof UNSUBSCRIBE_REASONS)[number];
