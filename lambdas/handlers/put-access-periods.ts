import { periodsPut } from '../adapters/access-store.js';
import { auditPut, channelTarget } from '../adapters/audit.js';
import { getChannel } from '../adapters/channel-store.js';
import { expireChannelDecisions } from '../adapters/connection-store.js';
import { errorFields } from '../logger.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertAdmin, channelIdParameter, userIdParameter } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { accessPeriodsSchema } from '../http/schemas.js';
import { NotFoundError } from '../domain/errors.js';
import { transactionalWrite } from '../services/transactional-write.js';

/**
 * PUT /api/admin/access/{channelId}/users/{userId}: replaces a user's
 * subscription periods for the built-in provider (admin role).
 */
export const route: RouteHandler = async ({ event, caller, deadline, logger }, app) => {
  assertAdmin(caller);
  const channelId = channelIdParameter(event);
  const userId = userIdParameter(event);
  const input = parseJsonBody(event, accessPeriodsSchema);
  const periods = input.periods.map((period) => ({
    start: new Date(period.start).toISOString(),
    end: period.end === null ? null : new Date(period.end).toISOString(),
  }));
  const tables = app.config.tables;

  const result = await transactionalWrite(app, {
    deadline,
    prepare: async (now) => {
      // Channels are never deleted, so a channel read here still exists at commit.
      const channel = await getChannel(app.db, tables, channelId);
      if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);

      return {
        status: 200,
        body: { channel_id: channelId, user_id: userId, periods },
        items: [
          periodsPut(tables, channelId, userId, periods, now),
          auditPut(tables, { actorId: caller.userId, action: 'access.periods_replaced', target: channelTarget(channelId), at: now, details: { user_id: userId, period_count: periods.length } }),
        ],
      };
    },
  });

  // Live subscriptions, to the channel and to topics of forums linked to it,
  // re-check access on their next delta instead of when their cached decision expires. The periods are already committed, so a
  // failure here only delays that (by at most the decision lifetime).
  try {
    await expireChannelDecisions(app.db, tables, channelId, userId);
  } catch (error) {
    logger.warn('Could not expire the decisions of live subscriptions', { channelId, subjectUserId: userId, ...errorFields(error) });
  }

  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
