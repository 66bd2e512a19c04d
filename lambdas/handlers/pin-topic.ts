import { topicIdParameter } from '../http/forum-parameters.js';
import { pinTopicSchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertForumStaff } from '../services/forum-access.js';
import { parseJsonBody } from '../http/request.js';
import { moderateTopic } from '../services/moderation.js';

/** PUT /api/admin/topics/{topicId}/pin: pins or unpins a topic; pinned topics list first (moderators and admins). */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  assertForumStaff(caller);
  const topicId = topicIdParameter(event);
  const input = parseJsonBody(event, pinTopicSchema);

  const result = await moderateTopic(app, { caller, topicId, changes: { pinned: input.pinned }, deadline });
  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
