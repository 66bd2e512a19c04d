import { auditPut, channelTarget } from '../adapters/audit.js';
import { getChannel } from '../adapters/channel-store.js';
import { getPost, postTombstoneUpdate } from '../adapters/post-store.js';
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
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  const channelId = channelIdParameter(event);
  const { postId, seq } = postIdParameter(event);
  const tables = app.config.tables;

  const result = await transactionalWrite(app, {
    deadline,
    prepare: async (now) => {
      const channel = await getChannel(app.db, tables, channelId);
      if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
      assertCanPublish(caller, channel);
      const post = await getPost(app.db, tables, channelId, seq);
      if (!post || post.post_id !== postId) throw new NotFoundError(`Post ${postId} does not exist in channel ${channelId}`);
      if (post.is_deleted) return { status: 200, body: toPostView(post), items: [] };

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

  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
