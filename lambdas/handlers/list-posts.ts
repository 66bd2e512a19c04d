import { getChannel } from '../adapters/channel-store.js';
import { ForbiddenError, InvalidRequestError, NotFoundError } from '../domain/errors.js';
import { DEFAULT_PAGE_SIZE, type FeedCursor } from '../domain/feed.js';
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
  if (query.after_seq !== undefined && query.before_seq !== undefined) {
    throw new InvalidRequestError('before_seq', 'cannot be combined with after_seq; page in one direction');
  }
  const cursor: FeedCursor =
    query.before_seq === undefined ? { direction: 'after', seq: Number(query.after_seq ?? 0) } : { direction: 'before', seq: Number(query.before_seq) };
  const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);

  const channel = await getChannel(app.db, app.config.tables, channelId);
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  const decision = await readDecision(app, caller, channel);
  if (decision.mode === 'DENY') throw new ForbiddenError(`You have no read access to channel ${channelId}`);

  const page = await readFeedPage(app, channel, decision, cursor, limit);
  return { status: 200, body: page };
};

export const handler = lambdaHandler(route);
