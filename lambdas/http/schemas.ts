import * as z from 'zod/mini';
import englishMessages from 'zod/v4/locales/en.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../domain/feed.js';

// zod/mini ships without messages; load only the English ones (not every
// locale through z.locales) so a 400 explains what is wrong.
z.config(englishMessages());

/** Maximum post body, in characters, which keeps a post item far below the 400 KB DynamoDB item limit. */
export const MAX_BODY_TEXT_LENGTH = 20_000;
export const MAX_TITLE_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 2_000;
/** Publishers per channel; a channel is run by a handful of analysts, not a crowd. */
export const MAX_PUBLISHERS = 100;
/** Subscription periods per user and channel. */
export const MAX_PERIODS = 100;
/** Maximum backfill an access policy may set: ten years. */
const MAX_BACKFILL_DAYS = 3_660;

/** Channel ids are ours (`ch_…`), but imported channels may bring their own: URL-safe, 1 to 128 characters. */
export const channelIdSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1 to 128 characters of A-Z, a-z, 0-9, _ or -'));

/** User ids are the identity provider's `sub`: printable ASCII without `/`, 1 to 256 characters. */
export const userIdSchema = z.string().check(z.regex(/^[\x21-\x2e\x30-\x7e]{1,256}$/, 'must be 1 to 256 printable ASCII characters without / or spaces'));

const isoInstant = z.iso.datetime({ offset: true });

const bodyText = z.string().check(z.minLength(1), z.maxLength(MAX_BODY_TEXT_LENGTH));
const title = z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_TITLE_LENGTH));
const description = z.string().check(z.maxLength(MAX_DESCRIPTION_LENGTH));
const backfillDays = z.int().check(z.minimum(0), z.maximum(MAX_BACKFILL_DAYS));

export const accessPolicySchema = z.strictObject({
  initial_backfill_days: z.nullable(backfillDays),
  resubscribe_backfill_days: backfillDays,
  keep_archive_after_lapse: z.boolean(),
});

const publisherIds = z.array(userIdSchema).check(z.maxLength(MAX_PUBLISHERS));

export const createChannelSchema = z.strictObject({
  title,
  description: z.optional(description),
  access_policy: z.optional(accessPolicySchema),
  publisher_ids: z.optional(publisherIds),
});

export const updateChannelSchema = z.strictObject({
  title: z.optional(title),
  description: z.optional(description),
  access_policy: z.optional(accessPolicySchema),
  publisher_ids: z.optional(publisherIds),
});

/** Attachments per post; a post is a message with a few files, not an album. */
export const MAX_ATTACHMENTS = 10;

const attachmentIds = z.array(z.string().check(z.regex(/^att_[0-9a-f]{16}$/, 'must be an attachment_id returned by the uploads route'))).check(z.maxLength(MAX_ATTACHMENTS));

export const publishPostSchema = z.strictObject({
  body_text: bodyText,
  attachment_ids: z.optional(attachmentIds),
});

export const importPostSchema = z.strictObject({
  body_text: bodyText,
  published_at: isoInstant,
  attachment_ids: z.optional(attachmentIds),
});

export const createUploadSchema = z.strictObject({
  file_name: z.string(),
  content_type: z.string().check(z.minLength(1), z.maxLength(255)),
  size: z.int().check(z.minimum(1)),
});

export const editPostSchema = z.strictObject({
  body_text: bodyText,
});

export const accessPeriodsSchema = z.strictObject({
  periods: z
    .array(z.strictObject({ start: isoInstant, end: z.nullable(isoInstant) }))
    .check(
      z.maxLength(MAX_PERIODS),
      z.refine((periods) => periods.every((period) => period.end === null || Date.parse(period.end) >= Date.parse(period.start)), {
        message: 'every period must end at or after its start',
      }),
    ),
});

/** A non-negative integer of at most 15 digits (a safe integer), as a query string carries it. */
const seqParameter = z.string().check(z.regex(/^(0|[1-9][0-9]{0,14})$/, 'must be a non-negative integer below 10^15'));
const limitParameter = z.string().check(
  z.regex(/^[0-9]{1,3}$/, `must be an integer from 1 to ${MAX_PAGE_SIZE}`),
  z.refine((value) => Number(value) >= 1 && Number(value) <= MAX_PAGE_SIZE, `must be an integer from 1 to ${MAX_PAGE_SIZE}`),
);

export const feedQuerySchema = z.strictObject({
  after_seq: z.optional(seqParameter),
  before_seq: z.optional(seqParameter),
  limit: z.optional(limitParameter),
});

export const channelListQuerySchema = z.strictObject({
  limit: z.optional(limitParameter),
  cursor: z.optional(channelIdSchema),
});

export { DEFAULT_PAGE_SIZE };

/** `{"action":"subscribe","channel_id","after_seq"?}` over the WebSocket. */
export const subscribeMessageSchema = z.strictObject({
  action: z.literal('subscribe'),
  channel_id: channelIdSchema,
  after_seq: z.optional(z.int().check(z.minimum(0))),
});

export const unsubscribeMessageSchema = z.strictObject({
  action: z.literal('unsubscribe'),
  channel_id: channelIdSchema,
});

/** `GET /api/admin/audit` filters: a target or an actor, an optional time range, a page size and a cursor. */
export const auditQuerySchema = z.strictObject({
  target: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  actor: z.optional(userIdSchema),
  from: z.optional(isoInstant),
  to: z.optional(isoInstant),
  limit: z.optional(limitParameter),
  cursor: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,2048}$/, 'must be the next_cursor of a previous page'))),
});
