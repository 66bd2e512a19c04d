import { listChannels } from '../adapters/channel-store.js';
import { DEFAULT_PAGE_SIZE } from '../domain/feed.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { parseQuery } from '../http/request.js';
import { channelListQuerySchema } from '../http/schemas.js';
import { readerChannelView } from '../http/views.js';
import { readDecision } from '../services/channel-access.js';

/** GET /api/mobile/channels: channels with the caller's decision and last_seq, a page at a time. */
export const route: RouteHandler = async ({ event, caller }, app) => {
  const query = parseQuery(event, channelListQuerySchema);
  const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);

  const page = await listChannels(app.db, app.config.tables, limit, query.cursor);
  const channels = await Promise.all(
    page.channels.map(async (channel) => readerChannelView(channel, await readDecision(app, caller, channel))),
  );

  return { status: 200, body: { channels, next_cursor: page.nextKey ?? null } };
};

export const handler = lambdaHandler(route);
