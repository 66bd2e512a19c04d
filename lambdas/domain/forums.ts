import { randomBytes } from 'node:crypto';
import { newSequencedId, seqOfSequencedId } from './posts.js';
import type { AccessDecision } from './read-windows.js';

/**
 * Forums, topics and messages as stored, the views the API returns, and the
 * posting rules that need no I/O (edit window, slow mode, rate limit). A
 * topic item also stores its message counter, as a channel item does.
 */

export interface StoredForum {
  readonly forum_id: string;
  readonly title: string;
  readonly description: string;
  /** The broadcast channel whose decision the forum inherits; null for an open forum. */
  readonly linked_channel_id: string | null;
  readonly created_by: string;
  readonly created_at: string;
}

/** The channel post a "discuss this post" topic points at. */
export interface PostReference {
  readonly channel_id: string;
  readonly post_id: string;
}

export interface StoredTopic {
  readonly topic_id: string;
  readonly forum_id: string;
  readonly title: string;
  readonly author_id: string;
  readonly post: PostReference | null;
  readonly pinned: boolean;
  readonly locked: boolean;
  /** Minimum seconds between one user's messages in this topic; 0 is off. */
  readonly slow_mode_seconds: number;
  /** The counter: highest message seq allocated. */
  readonly last_seq: number;
  /** `created_at` of the message at `last_seq`, so message time never decreases with seq. */
  readonly last_created_at: string;
  /** Live (not deleted) messages. */
  readonly message_count: number;
  readonly last_activity_at: string;
  /** Sort key of the by-activity index; see {@link activityKey}. */
  readonly activity_key: string;
  readonly created_at: string;
  /** Bumped by moderation changes only, so `topic.updated` fires for those and not for every message. */
  readonly version: number;
}

export interface StoredMessage {
  readonly topic_id: string;
  readonly seq: number;
  readonly message_id: string;
  readonly forum_id: string;
  /** ISO 8601 UTC with milliseconds; never decreases with seq inside a topic. */
  readonly created_at: string;
  /** `created_at#seq`, the sort key of the by-created-at index. */
  readonly created_key: string;
  readonly author_id: string;
  readonly body_text: string | null;
  readonly edited_at: string | null;
  readonly version: number;
  readonly is_deleted: boolean;
}

export interface ForumView {
  id: string;
  title: string;
  description: string;
  linked_channel_id: string | null;
  created_at: string;
}

export interface TopicView {
  id: string;
  forum_id: string;
  title: string;
  author_id: string;
  post: PostReference | null;
  pinned: boolean;
  locked: boolean;
  slow_mode_seconds: number;
  last_seq: number;
  message_count: number;
  last_activity_at: string;
  created_at: string;
  version: number;
}

export interface MessageView {
  id: string;
  topic_id: string;
  seq: number;
  created_at: string;
  author_id: string;
  body_text: string | null;
  edited_at: string | null;
  version: number;
  is_deleted: boolean;
}

/** Maximum slow mode a moderator may set: one day between one user's messages. */
export const MAX_SLOW_MODE_SECONDS = 86_400;
/** Maximum mute length, about a year. Longer is a ban, which belongs in the identity provider. */
export const MAX_MUTE_MS = 366 * 24 * 60 * 60 * 1000;

const ID_PATTERN = /^[0-9a-f]{16}$/;
const MESSAGE_ID_PREFIX = 'm';

export const newForumId = (): string => `f_${randomBytes(8).toString('hex')}`;
export const newTopicId = (): string => `t_${randomBytes(8).toString('hex')}`;
export const newMessageId = (seq: number): string => newSequencedId(MESSAGE_ID_PREFIX, seq);

export const isForumId = (id: string): boolean => id.startsWith('f_') && ID_PATTERN.test(id.slice(2));
export const isTopicId = (id: string): boolean => id.startsWith('t_') && ID_PATTERN.test(id.slice(2));
/** Returns the seq a message id names, or undefined when the id is not a message id. */
export const seqOfMessageId = (id: string): number | undefined => seqOfSequencedId(MESSAGE_ID_PREFIX, id);

/** `<1 pinned | 0>#<last activity>#<topic id>`: descending order lists pinned topics first, then the most active. */
export function activityKey(pinned: boolean, lastActivityAt: string, topicId: string): string {
  return `${pinned ? 1 : 0}#${lastActivityAt}#${topicId}`;
}

export function toForumView(forum: StoredForum): ForumView {
  return {
    id: forum.forum_id,
    title: forum.title,
    description: forum.description,
    linked_channel_id: forum.linked_channel_id,
    created_at: forum.created_at,
  };
}

export function toTopicView(topic: StoredTopic): TopicView {
  return {
    id: topic.topic_id,
    forum_id: topic.forum_id,
    title: topic.title,
    author_id: topic.author_id,
    post: topic.post,
    pinned: topic.pinned,
    locked: topic.locked,
    slow_mode_seconds: topic.slow_mode_seconds,
    last_seq: topic.last_seq,
    message_count: topic.message_count,
    last_activity_at: topic.last_activity_at,
    created_at: topic.created_at,
    version: topic.version,
  };
}

/** Builds the API view of a message; a tombstone keeps id, seq and time and drops the body. */
export function toMessageView(message: StoredMessage): MessageView {
  return {
    id: message.message_id,
    topic_id: message.topic_id,
    seq: message.seq,
    created_at: message.created_at,
    author_id: message.author_id,
    body_text: message.is_deleted ? null : message.body_text,
    edited_at: message.edited_at,
    version: message.version,
    is_deleted: message.is_deleted,
  };
}

/** Writing (topics, messages, edits) needs FULL; ARCHIVE_UNTIL readers only read. */
export function canWriteUnder(decision: AccessDecision): boolean {
  return decision.mode === 'FULL';
}

/** True while the author may still edit a message created at `createdAt` (ISO). */
export function isInsideEditWindow(createdAt: string, now: number, editWindowMs: number): boolean {
  return now <= Date.parse(createdAt) + editWindowMs;
}

/**
 * Milliseconds a user must still wait before posting again in a topic in
 * slow mode, 0 when they may post now. `lastMessageAt` is their previous
 * message in the topic (epoch ms), undefined if there is none.
 */
export function slowModeWaitMs(slowModeSeconds: number, lastMessageAt: number | undefined, now: number): number {
  if (slowModeSeconds <= 0 || lastMessageAt === undefined) return 0;
  return Math.max(0, lastMessageAt + slowModeSeconds * 1000 - now);
}

/** A user's fixed rate-limit window: when it started and how many messages it has counted. */
export interface RateWindow {
  readonly windowStart: number;
  readonly count: number;
}

export type RateOutcome =
  | { readonly allowed: true; readonly next: RateWindow }
  | { readonly allowed: false; readonly waitMs: number };

/**
 * Applies the per-user rate limit to one more message: the current window
 * counts it, a window that has ended starts again at `now`, and a full
 * window refuses until it ends. `limit` 0 turns the limit off.
 */
export function rateLimitOutcome(current: RateWindow | undefined, now: number, limit: number, windowMs: number): RateOutcome {
  if (limit <= 0) return { allowed: true, next: { windowStart: now, count: 0 } };
  if (!current || now >= current.windowStart + windowMs) return { allowed: true, next: { windowStart: now, count: 1 } };
  if (current.count < limit) return { allowed: true, next: { windowStart: current.windowStart, count: current.count + 1 } };
  return { allowed: false, waitMs: current.windowStart + windowMs - now };
}

/** `Retry-After` in whole seconds: rounded up, at least 1, so a client that obeys it is never early. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
