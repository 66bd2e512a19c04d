import type { App } from '../app.js';
import { headObject } from '../adapters/media-store.js';
import { InvalidRequestError } from '../domain/errors.js';
import { attachmentKey, type MediaSettings } from '../domain/media.js';
import type { AttachmentMetadata } from '../domain/posts.js';
import { mediaFor } from './media-for.js';

/**
 * Checks each referenced upload before a post commits: the object must exist
 * under this channel's prefix, with an allowed type and a size within the
 * limit. Returns the attachments' metadata in the given order. The 400 names
 * the offending `attachment_ids.N`.
 */
export async function resolveAttachments(app: App, channelId: string, attachmentIds: readonly string[]): Promise<AttachmentMetadata[]> {
  if (attachmentIds.length === 0) return [];
  const { s3, settings } = mediaFor(app);

  const duplicate = attachmentIds.findIndex((id, index) => attachmentIds.indexOf(id) !== index);
  if (duplicate !== -1) throw new InvalidRequestError(`attachment_ids.${duplicate}`, 'is listed twice');

  return Promise.all(
    attachmentIds.map(async (attachmentId, index) => {
      const field = `attachment_ids.${index}`;
      const stored = await headObject(s3, settings, attachmentKey(channelId, attachmentId));
      if (!stored) throw new InvalidRequestError(field, `was never uploaded to channel ${channelId}; request an upload URL and PUT the file first`);
      assertAllowed(settings, stored.contentType, stored.size, field);
      return { id: attachmentId, file_name: stored.fileName, content_type: stored.contentType, size: stored.size };
    }),
  );
}

function assertAllowed(settings: MediaSettings, contentType: string, size: number, field: string): void {
  if (!settings.allowedContentTypes.includes(contentType.toLowerCase())) {
    throw new InvalidRequestError(field, `has content type ${contentType}, which is not allowed`);
  }
  if (size > settings.maxUploadBytes) {
    throw new InvalidRequestError(field, `is ${size} bytes, over the ${settings.maxUploadBytes}-byte limit`);
  }
}
