import { forumIdParameter } from '../http/forum-parameters.js';
import { muteUserSchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertForumStaff } from '../services/forum-access.js';
import { userIdParameter } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { muteUser } from '../services/moderation.js';

/** PUT /api/admin/forums/{forumId}/mutes/{userId}: mutes a user in a forum until `until` (moderators and admins). */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  assertForumStaff(caller);
  const forumId = forumIdParameter(event);
  const userId = userIdParameter(event);
  const input = parseJsonBody(event, muteUserSchema);

  const result = await muteUser(app, {
    caller,
    forumId,
    userId,
    until: Date.parse(input.until),
    ...(input.reason !== undefined && { reason: input.reason }),
    deadline,
  });
  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
