import { messageIdParameter, topicIdParameter } from '../http/forum-parameters.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { deleteMessage } from '../services/forum-posting.js';

/** DELETE /api/mobile/topics/{topicId}/messages/{messageId}: a tombstone at the same seq (author, moderator or admin). */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  const topicId = topicIdParameter(event);
  const { messageId, seq } = messageIdParameter(event);

  const result = await deleteMessage(app, { caller, topicId, messageId, seq, deadline });
  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
