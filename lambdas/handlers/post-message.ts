import { topicIdParameter } from '../http/forum-parameters.js';
import { postMessageSchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { idempotencyKeyHeader, replayHeaders } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { postMessage } from '../services/forum-posting.js';

/** POST /api/mobile/topics/{topicId}/messages: a reply with the next seq. Idempotency-Key honoured. */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  const topicId = topicIdParameter(event);
  const idempotencyKey = idempotencyKeyHeader(event);
  const input = parseJsonBody(event, postMessageSchema);

  const result = await postMessage(app, {
    caller,
    topicId,
    bodyText: input.body_text,
    ...(idempotencyKey !== undefined && { idempotencyKey }),
    payload: input,
    deadline,
  });
  return { status: result.status, body: result.body, headers: replayHeaders(result.replayed) };
};

export const handler = lambdaHandler(route);
