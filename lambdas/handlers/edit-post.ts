import { auditPut, channelTarget } from '../adapters/audit.js';
import { getChannel } from '../adapters/channel-store.js';
import { getPost, postEditUpdate } from '../adapters/post-store.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { toPostView } from '../domain/posts.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter, postIdParameter } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { editPostSchema } from '../http/schemas.js';
import { assertCanPublish } from '../services/channel-access.js';
import { transactionalWrite } from '../services/transactional-write.js';

/** PATCH /api/admin/channels/{channelId}/posts/{postId}: edits a live post; seq stays, version and edited_at change. */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  const channelId = channelIdParameter(event);
  const { postId, seq } = postIdParameter(event);
  const input = parseJsonBody(event, editPostSchema);
  const tables = app.config.tables;

  const result = await transactionalWrite(app, {
    deadline,
    prepare: async (now) => {
      const channel = await getChannel(app.db, tables, channelId);
      if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
      assertCanPublish(caller, channel);
      const post = await getPost(app.db, tables, channelId, seq);
      if (!post || post.post_id !== postId) throw new NotFoundError(`Post ${postId} does not exist in channel ${channelId}`);
      if (post.is_deleted) throw new ConflictError(`Post ${postId} is deleted and cannot be edited`);

      const editedAt = new Date(now).toISOString();
      const edited = { ...post, body_text: input.body_text, edited_at: editedAt, version: post.version + 1 };
      return {
        status: 200,
        body: toPostView(edited),
        items: [
          postEditUpdate(tables, channelId, seq, postId, post.version, input.body_text, editedAt),
          auditPut(tables, { actorId: caller.userId, action: 'post.edited', target: channelTarget(channelId), at: now, details: { post_id: postId, seq, version: edited.version } }),
        ],
      };
    },
  });

  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
