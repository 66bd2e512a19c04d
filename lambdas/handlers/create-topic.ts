import { forumIdParameter } from '../http/forum-parameters.js';
import { createTopicSchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { idempotencyKeyHeader, replayHeaders } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { createTopic } from '../services/forum-posting.js';

/** POST /api/mobile/forums/{forumId}/topics: a topic and its first message. Idempotency-Key honoured. */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  const forumId = forumIdParameter(event);
  const idempotencyKey = idempotencyKeyHeader(event);
  const input = parseJsonBody(event, createTopicSchema);

  const result = await createTopic(app, {
    caller,
    forumId,
    title: input.title,
    bodyText: input.body_text,
    ...(input.post_id !== undefined && { postId: input.post_id }),
    ...(idempotencyKey !== undefined && { idempotencyKey }),
    payload: input,
    deadline,
  });
  return { status: result.status, body: result.body, headers: replayHeaders(result.replayed) };
};

export const handler = lambdaHandler(route);
