import { topicIdParameter } from '../http/forum-parameters.js';
import { lockTopicSchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertForumStaff } from '../services/forum-access.js';
import { parseJsonBody } from '../http/request.js';
import { moderateTopic } from '../services/moderation.js';

/** PUT /api/admin/topics/{topicId}/lock: locks or unlocks a topic; a locked topic accepts no messages (moderators and admins). */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  assertForumStaff(caller);
  const topicId = topicIdParameter(event);
  const input = parseJsonBody(event, lockTopicSchema);

  const result = await moderateTopic(app, { caller, topicId, changes: { locked: input.locked }, deadline });
  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
