import { auditPut } from '../adapters/audit.js';
import { getChannel } from '../adapters/channel-store.js';
import { forumCreatePut } from '../adapters/forum-store.js';
import { InvalidRequestError } from '../domain/errors.js';
import { newForumId, toForumView, type StoredForum } from '../domain/forums.js';
import { createForumSchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertAdmin, idempotencyKeyHeader, replayHeaders } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { forumTarget } from '../services/forum-posting.js';
import { transactionalWrite } from '../services/transactional-write.js';

/** POST /api/admin/forums: creates a forum, open or linked to a broadcast channel (admin only). */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  assertAdmin(caller);
  const idempotencyKey = idempotencyKeyHeader(event);
  const input = parseJsonBody(event, createForumSchema);
  const linkedChannelId = input.linked_channel_id ?? null;
  if (linkedChannelId !== null && !(await getChannel(app.db, app.config.tables, linkedChannelId))) {
    throw new InvalidRequestError('linked_channel_id', `channel ${linkedChannelId} does not exist`);
  }

  const result = await transactionalWrite(app, {
    deadline,
    ...(idempotencyKey !== undefined && {
      idempotency: { scope: { actorId: caller.userId, operation: 'create-forum', targetId: '-' }, key: idempotencyKey, payload: input },
    }),
    prepare: async (now) => {
      const forum: StoredForum = {
        forum_id: newForumId(),
        title: input.title,
        description: input.description ?? '',
        linked_channel_id: linkedChannelId,
        created_by: caller.userId,
        created_at: new Date(now).toISOString(),
      };
      return {
        status: 201,
        body: toForumView(forum),
        items: [
          forumCreatePut(app.config.tables, forum),
          auditPut(app.config.tables, {
            actorId: caller.userId,
            action: 'forum.created',
            target: forumTarget(forum.forum_id),
            at: now,
            details: { linked_channel_id: linkedChannelId },
          }),
        ],
      };
    },
  });

  return { status: result.status, body: result.body, headers: replayHeaders(result.replayed) };
};

export const handler = lambdaHandler(route);
