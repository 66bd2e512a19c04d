import { auditPut, channelTarget } from '../adapters/audit.js';
import { getChannel } from '../adapters/channel-store.js';
import { presignUpload } from '../adapters/media-store.js';
import { InvalidRequestError, NotFoundError } from '../domain/errors.js';
import { attachmentKey, newAttachmentId, validateFileName } from '../domain/media.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter, idempotencyKeyHeader, replayHeaders } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { createUploadSchema } from '../http/schemas.js';
import { mediaFor } from '../media/media-for.js';
import { assertCanPublish } from '../services/channel-access.js';
import { transactionalWrite } from '../services/transactional-write.js';

/**
 * POST /api/admin/channels/{channelId}/uploads: returns a presigned PUT for
 * one attachment, bound to the declared content type and exact size, under
 * the channel's prefix. Publishing then references `attachment_id`.
 * Honours Idempotency-Key: a replay returns the first response, URL and
 * `expires_at` included, so a client past `expires_at` needs a new key.
 */
export const route: RouteHandler = async ({ event, caller, deadline, logger }, app) => {
  const channelId = channelIdParameter(event);
  const input = parseJsonBody(event, createUploadSchema);
  const idempotencyKey = idempotencyKeyHeader(event);
  const { s3, settings } = mediaFor(app);

  const fileName = validateFileName(input.file_name);
  const contentType = input.content_type.toLowerCase();
  if (!settings.allowedContentTypes.includes(contentType)) {
    throw new InvalidRequestError('content_type', `must be one of ${settings.allowedContentTypes.join(', ')}`);
  }
  if (input.size > settings.maxUploadBytes) {
    throw new InvalidRequestError('size', `must be at most ${settings.maxUploadBytes} bytes`);
  }

  const result = await transactionalWrite(app, {
    deadline,
    ...(idempotencyKey !== undefined && { idempotency: { scope: { actorId: caller.userId, operation: 'create-upload', targetId: channelId }, key: idempotencyKey, payload: input } }),
    prepare: async (now) => {
      const channel = await getChannel(app.db, app.config.tables, channelId);
      if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
      assertCanPublish(caller, channel);

      const attachmentId = newAttachmentId();
      const upload = await presignUpload(s3, settings, { key: attachmentKey(channelId, attachmentId), contentType, size: input.size, fileName }, now);
      logger.info('Issued an upload URL', { channelId, attachmentId, contentType, size: input.size });
      return {
        status: 201,
        body: { attachment_id: attachmentId, upload_url: upload.url, headers: upload.headers, expires_at: upload.expiresAt },
        items: [
          auditPut(app.config.tables, {
            actorId: caller.userId,
            action: 'upload.issued',
            target: channelTarget(channelId),
            at: now,
            details: { attachment_id: attachmentId, content_type: contentType, size: input.size },
          }),
        ],
      };
    },
  });

  return { status: result.status, body: result.body, headers: replayHeaders(result.replayed) };
};

export const handler = lambdaHandler(route);
