import { getChannel } from '../adapters/channel-store.js';
import { NotFoundError } from '../domain/errors.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { channelIdParameter } from '../http/parameters.js';
import { readerChannelView } from '../http/views.js';
import { readDecision } from '../services/channel-access.js';

/** GET /api/mobile/channels/{channelId}: one channel, its last_seq and the caller's decision. */
export const route: RouteHandler = async ({ event, caller }, app) => {
  const channelId = channelIdParameter(event);

  const channel = await getChannel(app.db, app.config.tables, channelId);
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  const decision = await readDecision(app, caller, channel);

  return { status: 200, body: readerChannelView(channel, decision) };
};

export const handler = lambdaHandler(route);
