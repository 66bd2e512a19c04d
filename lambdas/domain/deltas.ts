import { channelSubscriptionKey, topicSubscriptionKey } from './subscriptions.js';

/**
 * Deltas: the identifiers-only messages that tell a client "this changed,
 * fetch it over REST". They are built from the before and after images of
 * a post, a forum message or a topic as the table streams deliver them. A
 * delta never carries a body, a title or attachment data.
 */

export const POST_DELTA_TYPES = ['post.published', 'post.updated', 'post.deleted'] as const;
export type PostDeltaType = (typeof POST_DELTA_TYPES)[number];

export const MESSAGE_DELTA_TYPES = ['message.created', 'message.updated', 'message.deleted'] as const;
export type MessageDeltaType = (typeof MESSAGE_DELTA_TYPES)[number];

/** Only moderation (lock, pin, slow mode) bumps a topic's version, so this is the one topic delta. */
export const TOPIC_DELTA_TYPES = ['topic.updated'] as const;
export type TopicDeltaType = (typeof TOPIC_DELTA_TYPES)[number];

/** The frame a channel subscriber receives: identifiers only. */
export interface PostDelta {
  readonly type: PostDeltaType;
  readonly channel_id: string;
  readonly seq: number;
  readonly post_id: string;
  /** `channel_id:seq:version`: equal for redeliveries of one change, different for a second edit. */
  readonly dedupe_key: string;
}

/** The frame a topic subscriber receives for a message: identifiers only. */
export interface MessageDelta {
  readonly type: MessageDeltaType;
  readonly topic_id: string;
  readonly seq: number;
  readonly message_id: string;
  /** `topic_id:seq:version`. */
  readonly dedupe_key: string;
}

/** The frame a topic subscriber receives when a moderator changed the topic. */
export interface TopicDelta {
  readonly type: TopicDeltaType;
  readonly topic_id: string;
  readonly forum_id: string;
  readonly version: number;
  /** `topic_id:version`. */
  readonly dedupe_key: string;
}

export type Delta = PostDelta | MessageDelta | TopicDelta;
export type DeltaType = Delta['type'];

/**
 * A delta with what fan-out, delivery and integration events need but the
 * frame must not carry. Plain data only: fan-out batches carry it through
 * SQS as JSON.
 */
export interface Change<D extends Delta = Delta> {
  readonly delta: D;
  /** The delta's `dedupe_key`. */
  readonly dedupeKey: string;
  readonly version: number;
  /** Partition key of the subscriptions that receive the delta: `channel#<id>` or `topic#<id>`. */
  readonly subscriptionKey: string;
  /**
   * Epoch ms the read-window predicate decides delivery on: a post's
   * `published_at`, a message's `created_at`, a topic's `created_at`.
   */
  readonly readableAt: number;
}

export type PostChange = Change<PostDelta>;
export type MessageChange = Change<MessageDelta>;
export type TopicChange = Change<TopicDelta>;

/** The post fields a stream image must have for a delta. */
export interface PostImage {
  readonly channel_id: string;
  readonly seq: number;
  readonly post_id: string;
  readonly published_at: string;
  readonly version: number;
  readonly is_deleted: boolean;
}

/** The message fields a stream image must have for a delta. */
export interface MessageImage {
  readonly topic_id: string;
  readonly seq: number;
  readonly message_id: string;
  readonly created_at: string;
  readonly version: number;
  readonly is_deleted: boolean;
}

/** The topic fields a stream image must have for a delta. */
export interface TopicImage {
  readonly topic_id: string;
  readonly forum_id: string;
  readonly created_at: string;
  readonly version: number;
}

/** An image from either forum stream: the topics table or the messages table. */
export type ForumImage = MessageImage | TopicImage;

/** Kind of change to a sequenced item (a post or a message). */
type SequencedChangeKind = 'inserted' | 'deleted' | 'updated';

/**
 * Classifies a post or message record: an insert, a change that turns the
 * item into a tombstone, or any other version bump. Removals and writes
 * that leave the version alone change nothing visible to clients.
 */
function sequencedChangeKind(
  oldImage: { readonly version: number; readonly is_deleted: boolean } | undefined,
  newImage: { readonly version: number; readonly is_deleted: boolean } | undefined,
): SequencedChangeKind | undefined {
  if (!newImage) return undefined;
  if (!oldImage) return 'inserted';
  if (newImage.is_deleted && !oldImage.is_deleted) return 'deleted';
  if (newImage.version > oldImage.version && !newImage.is_deleted) return 'updated';
  return undefined;
}

const POST_DELTA_TYPE_BY_KIND: Readonly<Record<SequencedChangeKind, PostDeltaType>> = {
  inserted: 'post.published',
  deleted: 'post.deleted',
  updated: 'post.updated',
};

const MESSAGE_DELTA_TYPE_BY_KIND: Readonly<Record<SequencedChangeKind, MessageDeltaType>> = {
  inserted: 'message.created',
  deleted: 'message.deleted',
  updated: 'message.updated',
};

/**
 * Classifies a posts stream record: an insert is a publish, a change that
 * turns the post into a tombstone is a delete, any other version bump is an
 * edit. Returns undefined for records that change nothing visible to clients.
 */
export function postChangeOf(oldImage: PostImage | undefined, newImage: PostImage | undefined): PostChange | undefined {
  const kind = sequencedChangeKind(oldImage, newImage);
  if (!kind || !newImage) return undefined;

  const dedupeKey = `${newImage.channel_id}:${newImage.seq}:${newImage.version}`;
  return {
    delta: { type: POST_DELTA_TYPE_BY_KIND[kind], channel_id: newImage.channel_id, seq: newImage.seq, post_id: newImage.post_id, dedupe_key: dedupeKey },
    dedupeKey,
    version: newImage.version,
    subscriptionKey: channelSubscriptionKey(newImage.channel_id),
    readableAt: Date.parse(newImage.published_at),
  };
}

/**
 * Classifies a messages stream record with the same rules as a post:
 * created, deleted (became a tombstone) or updated (any other version
 * bump). Delivery checks the reader's windows on the message's `created_at`.
 */
export function messageChangeOf(oldImage: MessageImage | undefined, newImage: MessageImage | undefined): MessageChange | undefined {
  const kind = sequencedChangeKind(oldImage, newImage);
  if (!kind || !newImage) return undefined;

  const dedupeKey = `${newImage.topic_id}:${newImage.seq}:${newImage.version}`;
  return {
    delta: { type: MESSAGE_DELTA_TYPE_BY_KIND[kind], topic_id: newImage.topic_id, seq: newImage.seq, message_id: newImage.message_id, dedupe_key: dedupeKey },
    dedupeKey,
    version: newImage.version,
    subscriptionKey: topicSubscriptionKey(newImage.topic_id),
    readableAt: Date.parse(newImage.created_at),
  };
}

/**
 * Classifies a topics stream record: only a `version` increase (moderation)
 * is a `topic.updated`. Every message also rewrites its topic (counter,
 * activity) without changing the version, so that sends nothing. An insert
 * sends nothing either, because the first message's `message.created`
 * announces the topic. Delivery checks the reader's windows on the topic's
 * `created_at`, as reading the topic does.
 */
export function topicChangeOf(oldImage: TopicImage | undefined, newImage: TopicImage | undefined): TopicChange | undefined {
  if (!oldImage || !newImage) return undefined;
  if (newImage.version <= oldImage.version) return undefined;

  const dedupeKey = `${newImage.topic_id}:${newImage.version}`;
  return {
    delta: { type: 'topic.updated', topic_id: newImage.topic_id, forum_id: newImage.forum_id, version: newImage.version, dedupe_key: dedupeKey },
    dedupeKey,
    version: newImage.version,
    subscriptionKey: topicSubscriptionKey(newImage.topic_id),
    readableAt: Date.parse(newImage.created_at),
  };
}

/** True for an image from the messages table; topic items have no `message_id`. */
export function isMessageImage(image: ForumImage): image is MessageImage {
  return 'message_id' in image;
}

/**
 * Classifies a record from either forum stream. One function consumes both,
 * so the images tell the tables apart: only message items have a `message_id`.
 */
export function forumChangeOf(oldImage: ForumImage | undefined, newImage: ForumImage | undefined): MessageChange | TopicChange | undefined {
  const image = newImage ?? oldImage;
  if (!image) return undefined;
  if (isMessageImage(image)) return messageChangeOf(oldImage as MessageImage | undefined, newImage as MessageImage | undefined);
  return topicChangeOf(oldImage as TopicImage | undefined, newImage as TopicImage | undefined);
}

/** Sent when a subscription ends without the client asking. */
export const UNSUBSCRIBE_REASONS = ['access_denied', 'access_ended', 'requested'] as const;
export type UnsubscribeReason = (typeof UNSUBSCRIBE_REASONS)[number];
