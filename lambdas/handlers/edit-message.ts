import { messageIdParameter, topicIdParameter } from '../http/forum-parameters.js';
import { editMessageSchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { parseJsonBody } from '../http/request.js';
import { editMessage } from '../services/forum-posting.js';

/** PATCH /api/mobile/topics/{topicId}/messages/{messageId}: the author edits within the edit window. */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  const topicId = topicIdParameter(event);
  const { messageId, seq } = messageIdParameter(event);
  const input = parseJsonBody(event, editMessageSchema);

  const result = await editMessage(app, { caller, topicId, messageId, seq, bodyText: input.body_text, deadline });
  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
