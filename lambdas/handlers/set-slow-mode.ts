import { topicIdParameter } from '../http/forum-parameters.js';
import { slowModeSchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertForumStaff } from '../services/forum-access.js';
import { parseJsonBody } from '../http/request.js';
import { moderateTopic } from '../services/moderation.js';

/** PUT /api/admin/topics/{topicId}/slow-mode: sets the minimum seconds between one user's messages in the topic (0 turns it off) (moderators and admins). */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  assertForumStaff(caller);
  const topicId = topicIdParameter(event);
  const input = parseJsonBody(event, slowModeSchema);

  const result = await moderateTopic(app, { caller, topicId, changes: { slow_mode_seconds: input.seconds }, deadline });
  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
