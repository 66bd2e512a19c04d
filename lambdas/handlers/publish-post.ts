import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter, replayHeaders, requiredIdempotencyKey } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { publishPostSchema } from '../http/schemas.js';
import { publishPost } from '../services/publish.js';

/** POST /api/admin/channels/{channelId}/posts: publishes a post (admin or channel publisher). Idempotency-Key required. */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  const channelId = channelIdParameter(event);
  const idempotencyKey = requiredIdempotencyKey(event);
  const input = parseJsonBody(event, publishPostSchema);

  const result = await publishPost(app, {
    caller,
    channelId,
    input: { bodyText: input.body_text, ...(input.attachment_ids && { attachmentIds: input.attachment_ids }) },
    operation: 'publish-post',
    idempotencyKey,
    payload: input,
    deadline,
  });

  return { status: result.status, body: result.body, headers: replayHeaders(result.replayed) };
};

export const handler = lambdaHandler(route);
