import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter, idempotencyKeyHeader, replayHeaders } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { importPostSchema } from '../http/schemas.js';
import { publishPost } from '../services/publish.js';

/**
 * POST /api/admin/channels/{channelId}/posts/import: publishes with an
 * original `published_at`, which must not be in the future nor before the
 * channel's latest post. Honours Idempotency-Key.
 */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  const channelId = channelIdParameter(event);
  const idempotencyKey = idempotencyKeyHeader(event);
  const input = parseJsonBody(event, importPostSchema);

  const result = await publishPost(app, {
    caller,
    channelId,
    input: { bodyText: input.body_text, publishedAt: Date.parse(input.published_at), ...(input.attachment_ids && { attachmentIds: input.attachment_ids }) },
    operation: 'import-post',
    ...(idempotencyKey !== undefined && { idempotencyKey }),
    payload: input,
    deadline,
  });

  return { status: result.status, body: result.body, headers: replayHeaders(result.replayed) };
};

export const handler = lambdaHandler(route);
