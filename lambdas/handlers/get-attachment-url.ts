import { getChannel } from '../adapters/channel-store.js';
import { presignDownload } from '../adapters/media-store.js';
import { getPost } from '../adapters/post-store.js';
import { ForbiddenError, InvalidRequestError, NotFoundError } from '../domain/errors.js';
import { attachmentKey, contentDisposition, isAttachmentId } from '../domain/media.js';
import { canReadPostAt } from '../domain/read-windows.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter, postIdParameter } from '../http/parameters.js';
import { pathParameter } from '../http/request.js';
import { mediaFor } from '../media/media-for.js';
import { readDecision } from '../services/channel-access.js';

/**
 * POST /api/mobile/channels/{channelId}/posts/{postId}/attachments/{attachmentId}/url:
 * runs the access check on the post's `published_at`, then returns a
 * presigned GET bound to the caller. The URL is logged never, only the ids.
 * Idempotency-Key is not stored here: issuing a URL changes nothing, and a
 * replayed URL could already have expired.
 */
export const route: RouteHandler = async ({ event, caller, logger }, app) => {
  const channelId = channelIdParameter(event);
  const { postId, seq } = postIdParameter(event);
  const attachmentId = pathParameter(event, 'attachmentId');
  if (!isAttachmentId(attachmentId)) throw new InvalidRequestError('attachmentId', 'is not a valid attachment id');
  const { s3, settings } = mediaFor(app);

  const channel = await getChannel(app.db, app.config.tables, channelId);
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  const decision = await readDecision(app, caller, channel);
  if (decision.mode === 'DENY') throw new ForbiddenError(`You have no read access to channel ${channelId}`);

  const post = await getPost(app.db, app.config.tables, channelId, seq);
  if (!post || post.post_id !== postId) throw new NotFoundError(`Post ${postId} does not exist in channel ${channelId}`);
  const attachment = post.is_deleted ? undefined : post.attachments.find((candidate) => candidate.id === attachmentId);
  if (!attachment) throw new NotFoundError(`Attachment ${attachmentId} does not exist on post ${postId}`);
  if (!canReadPostAt(decision, Date.parse(post.published_at))) throw new ForbiddenError(`Post ${postId} is outside your read windows`);

  const download = await presignDownload(
    s3,
    settings,
    { key: attachmentKey(channelId, attachmentId), userId: caller.userId, contentDisposition: contentDisposition(attachment.file_name) },
    app.clock(),
  );
  logger.info('Issued an attachment URL', { channelId, postId, attachmentId, expiresAt: download.expiresAt });

  return { status: 200, body: { url: download.url, expires_at: download.expiresAt } };
};

export const handler = lambdaHandler(route);
