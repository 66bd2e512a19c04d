import { randomBytes } from 'node:crypto';
import { auditPut, channelTarget } from '../adapters/audit.js';
import { channelCreatePut, type StoredChannel } from '../adapters/channel-store.js';
import { DEFAULT_ACCESS_POLICY } from '../domain/access-policy.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertAdmin, idempotencyKeyHeader, replayHeaders } from '../http/parameters.js';
import { parseJsonBody } from '../http/request.js';
import { createChannelSchema } from '../http/schemas.js';
import { adminChannelView } from '../http/views.js';
import { transactionalWrite } from '../services/transactional-write.js';

/** POST /api/admin/channels: creates a channel (admin role). Honours Idempotency-Key. */
export const route: RouteHandler = async ({ event, caller, deadline }, app) => {
  assertAdmin(caller);
  const input = parseJsonBody(event, createChannelSchema);
  const idempotencyKey = idempotencyKeyHeader(event);

  const result = await transactionalWrite(app, {
    deadline,
    ...(idempotencyKey !== undefined && { idempotency: { scope: { actorId: caller.userId, operation: 'create-channel', targetId: '-' }, key: idempotencyKey, payload: input } }),
    prepare: async (now) => {
      const createdAt = new Date(now).toISOString();
      const channel: StoredChannel = {
        channel_id: `ch_${randomBytes(8).toString('hex')}`,
        title: input.title,
        description: input.description ?? '',
        access_policy: input.access_policy ?? DEFAULT_ACCESS_POLICY,
        publisher_ids: input.publisher_ids ?? [],
        last_seq: 0,
        created_at: createdAt,
        updated_at: createdAt,
        version: 1,
      };
      return {
        status: 201,
        body: adminChannelView(channel),
        items: [
          channelCreatePut(app.config.tables, channel),
          auditPut(app.config.tables, { actorId: caller.userId, action: 'channel.created', target: channelTarget(channel.channel_id), at: now }),
        ],
      };
    },
  });

  return { status: result.status, body: result.body, headers: replayHeaders(result.replayed) };
};

export const handler = lambdaHandler(route);
