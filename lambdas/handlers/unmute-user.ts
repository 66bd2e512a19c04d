import { forumIdParameter } from '../http/forum-parameters.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertForumStaff } from '../services/forum-access.js';
import { userIdParameter } from '../http/parameters.js';
import { unmuteUser } from '../services/moderation.js';

/** DELETE /api/admin/forums/{forumId}/mutes/{userId}: ends a mute now (moderators and admins). */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  assertForumStaff(caller);
  const result = await unmuteUser(app, { caller, forumId: forumIdParameter(event), userId: userIdParameter(event), deadline });
  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
