import * as z from 'zod/mini';
import { channelIdSchema, feedQuerySchema, MAX_BODY_TEXT_LENGTH, MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH } from './schemas.js';
import { MAX_PAGE_SIZE } from '../domain/feed.js';
import { MAX_SLOW_MODE_SECONDS } from '../domain/forums.js';

const MAX_REASON_LENGTH = 500;

const title = z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_TITLE_LENGTH));
const bodyText = z.string().check(z.minLength(1), z.maxLength(MAX_BODY_TEXT_LENGTH));
const hexId = (prefix: string, kind: string) => z.string().check(z.regex(new RegExp(`^${prefix}_[0-9a-f]{16}$`), `must be a ${kind} id`));

export const forumIdSchema = hexId('f', 'forum');
export const topicIdSchema = hexId('t', 'topic');

export const createForumSchema = z.strictObject({
  title,
  description: z.optional(z.string().check(z.maxLength(MAX_DESCRIPTION_LENGTH))),
  linked_channel_id: z.optional(channelIdSchema),
});

export const createTopicSchema = z.strictObject({
  title,
  body_text: bodyText,
  post_id: z.optional(z.string().check(z.regex(/^p_[1-9][0-9]{0,14}_[0-9a-f]{16}$/, 'must be a post id'))),
});

export const postMessageSchema = z.strictObject({
  body_text: bodyText,
});

export const editMessageSchema = postMessageSchema;

export const lockTopicSchema = z.strictObject({ locked: z.boolean() });
export const pinTopicSchema = z.strictObject({ pinned: z.boolean() });
export const slowModeSchema = z.strictObject({
  seconds: z.int().check(z.minimum(0), z.maximum(MAX_SLOW_MODE_SECONDS)),
});

export const muteUserSchema = z.strictObject({
  until: z.iso.datetime({ offset: true }),
  reason: z.optional(z.string().check(z.maxLength(MAX_REASON_LENGTH))),
});

const limitParameter = z.string().check(
  z.regex(/^[0-9]{1,3}$/, `must be an integer from 1 to ${MAX_PAGE_SIZE}`),
  z.refine((value) => Number(value) >= 1 && Number(value) <= MAX_PAGE_SIZE, `must be an integer from 1 to ${MAX_PAGE_SIZE}`),
);
/** An opaque cursor from a previous page: base64url, bounded. */
const cursorParameter = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,1024}$/, 'must be the next_cursor of a previous page'));

export const forumListQuerySchema = z.strictObject({
  limit: z.optional(limitParameter),
  cursor: z.optional(cursorParameter),
});

export const topicListQuerySchema = forumListQuerySchema;

/** Message pages take the same parameters as channel feeds. */
export const messageQuerySchema = feedQuerySchema;

/** `{"action":"subscribe","topic_id","after_seq"?}` over the WebSocket. */
export const subscribeTopicMessageSchema = z.strictObject({
  action: z.literal('subscribe'),
  topic_id: topicIdSchema,
  after_seq: z.optional(z.int().check(z.minimum(0))),
});

export const unsubscribeTopicMessageSchema = z.strictObject({
  action: z.literal('unsubscribe'),
  topic_id: topicIdSchema,
});
