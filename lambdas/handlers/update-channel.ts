import { auditPut, channelTarget } from '../adapters/audit.js';
import { channelUpdate, getChannel, type StoredChannel } from '../adapters/channel-store.js';
import { expireChannelDecisions } from '../adapters/connection-store.js';
import { errorFields } from '../logger.js';
import { InvalidRequestError, NotFoundError } from '../domain/errors.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertAdmin, channelIdParameter } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { updateChannelSchema } from '../http/schemas.js';
import { adminChannelView } from '../http/views.js';
import { transactionalWrite } from '../services/transactional-write.js';

/** PATCH /api/admin/channels/{channelId}: changes title, description, access policy or publishers (admin role). */
export const route: RouteHandler = async ({ event, caller, deadline, logger }, app) => {
  assertAdmin(caller);
  const channelId = channelIdParameter(event);
  const changes = parseJsonBody(event, updateChannelSchema);
  const changedFields = Object.keys(changes);
  if (changedFields.length === 0) throw new InvalidRequestError('body', 'must change at least one of title, description, access_policy, publisher_ids');

  const result = await transactionalWrite(app, {
    deadline,
    prepare: async (now) => {
      const channel = await getChannel(app.db, app.config.tables, channelId);
      if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);

      const updatedAt = new Date(now).toISOString();
      const updated: StoredChannel = { ...channel, ...changes, updated_at: updatedAt, version: channel.version + 1 };
      return {
        status: 200,
        body: adminChannelView(updated),
        items: [
          channelUpdate(app.config.tables, channelId, changes, channel.version, updatedAt),
          auditPut(app.config.tables, { actorId: caller.userId, action: 'channel.updated', target: channelTarget(channelId), at: now, details: { fields: changedFields } }),
        ],
      };
    },
  });

  // Publishers read in full and the policy shapes every built-in decision, so
  // live subscriptions, to the channel and to topics of forums linked to it,
  // re-check access on their next delta.
  const changesAccess = changes.publisher_ids !== undefined || changes.access_policy !== undefined;
  if (changesAccess) {
    await expireChannelDecisions(app.db, app.config.tables, channelId).catch((error: unknown) =>
      logger.warn('Could not expire the decisions of live subscriptions', { channelId, ...errorFields(error) }),
    );
  }

  return { status: result.status, body: result.body };
};

export const handler = lambdaHandler(route);
