import { getChannel } from '../adapters/channel-store.js';
import { getPost } from '../adapters/post-store.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import { toPostView } from '../domain/posts.js';
import { canReadPostAt } from '../domain/read-windows.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter, postIdParameter } from '../http/parameters.js';
import { readDecision } from '../services/channel-access.js';

/** GET /api/mobile/channels/{channelId}/posts/{postId}: one post, if its published_at is inside the caller's windows. */
export const route: RouteHandler = async ({ event, caller }, app) => {
  const channelId = channelIdParameter(event);
  const { postId, seq } = postIdParameter(event);

  const channel = await getChannel(app.db, app.config.tables, channelId);
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  const decision = await readDecision(app, caller, channel);
  if (decision.mode === 'DENY') throw new ForbiddenError(`You have no read access to channel ${channelId}`);

  const post = await getPost(app.db, app.config.tables, channelId, seq);
  if (!post || post.post_id !== postId) throw new NotFoundError(`Post ${postId} does not exist in channel ${channelId}`);
  if (!canReadPostAt(decision, Date.parse(post.published_at))) {
    throw new ForbiddenError(`Post ${postId} is outside your read windows`);
  }

  return { status: 200, body: toPostView(post) };
};

export const handler = lambdaHandler(route);
