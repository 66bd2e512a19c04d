import { getChannel } from '../adapters/channel-store.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import { feedCursor, pageLimit } from '../http/feed-query.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter } from '../http/parameters.js';
import { parseQuery } from '../http/request.js';
import { feedQuerySchema } from '../http/schemas.js';
import { readDecision } from '../services/channel-access.js';
import { readFeedPage } from '../services/feed.js';

/**
 * GET /api/mobile/channels/{channelId}/posts: a feed page, ascending after
 * `after_seq` (default 0) or newest first below `before_seq`. Posts outside
 * the caller's windows are skipped without being read.
 */
export const route: RouteHandler = async ({ event, caller }, app) => {
  const channelId = channelIdParameter(event);
  const query = parseQuery(event, feedQuerySchema);
  const cursor = feedCursor(query);
  const limit = pageLimit(query);

  const channel = await getChannel(app.db, app.config.tables, channelId);
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  const decision = await readDecision(app, caller, channel);
  if (decision.mode === 'DENY') throw new ForbiddenError(`You have no read access to channel ${channelId}`);

  const page = await readFeedPage(app, channel, decision, cursor, limit);
  return { status: 200, body: page };
};

export const handler = lambdaHandler(route);
