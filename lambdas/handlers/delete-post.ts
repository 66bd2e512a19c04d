import { auditPut, channelTarget } from '../adapters/audit.js';
import { getChannel } from '../adapters/channel-store.js';
import { deleteObjects } from '../adapters/media-store.js';
import { getPost, postTombstoneUpdate } from '../adapters/post-store.js';
import { attachmentKey } from '../domain/media.js';
import { errorFields } from '../logger.js';
import { mediaFor } from '../media/media-for.js';
import { NotFoundError } from '../domain/errors.js';
import { toPostView } from '../domain/posts.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter, postIdParameter } from '../http/parameters.js';
import { assertCanPublish } from '../services/channel-access.js';
import { transactionalWrite } from '../services/transactional-write.js';

/**
 * DELETE /api/admin/channels/{channelId}/posts/{postId}: leaves a tombstone
 * at the same seq. Deleting a tombstone again returns it unchanged.
 */
export const route: RouteHandler = async ({ event, caller, deadline, logger }, app) => {
  const channelId = channelIdParameter(event);
  const { postId, seq } = postIdParameter(event);
  const tables = app.config.tables;

  let removedKeys: string[] = [];
  const result = await transactionalWrite(app, {
    deadline,
    prepare: async (now) => {
      const channel = await getChannel(app.db, tables, channelId);
      if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
      assertCanPublish(caller, channel);
      const post = await getPost(app.db, tables, channelId, seq);
      if (!post || post.post_id !== postId) throw new NotFoundError(`Post ${postId} does not exist in channel ${channelId}`);
      if (post.is_deleted) return { status: 200, body: toPostView(post), items: [] };

      removedKeys = post.attachments.map((attachment) => attachmentKey(channelId, attachment.id));
      const tombstone = { ...post, is_deleted: true, body_text: null, attachments: [], version: post.version + 1 };
      return {
        status: 200,
        body: toPostView(tombstone),
        items: [
          postTombstoneUpdate(tables, channelId, seq, postId, new Date(now).toISOString()),
          auditPut(tables, { actorId: caller.userId, action: 'post.deleted', target: channelTarget(channelId), at: now, details: { post_id: postId, seq } }),
        ],
      };
    },
  });

  // The tombstone already refuses new URLs; removing the objects also stops
  // URLs issued before the delete. The post is committed either way, so a
  // failure here is logged, and the objects stay until deleted by hand.
  if (removedKeys.length > 0) {
    const { s3, settings } = mediaFor(app);
    await deleteObjects(s3, settings, removedKeys).catch((error: unknown) =>
      logger.error('Deleting the attachments of a deleted post failed', { channelId, postId, ...errorFields(error) }),
    );
  }

  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
