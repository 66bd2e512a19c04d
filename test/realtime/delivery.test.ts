import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putConnection, putSubscription, type StoredSubscription } from '../../lambdas/adapters/connection-store.js';
import { InMemoryIntegrationEvents } from '../../lambdas/adapters/integration-events.js';
import { postChangeOf } from '../../lambdas/domain/deltas.js';
import { channelSubscriptionKey } from '../../lambdas/domain/subscriptions.js';
import { deliverBatch } from '../../lambdas/realtime/delivery.js';
import type { Realtime } from '../../lambdas/realtime/realtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';

describe('deliverBatch', () => {
  let stack: TestStack;
  let now = Date.parse('2026-06-01T12:00:00.000Z');

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => now });
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('re-checks a decision that expires mid-batch', async () => {
    const admin = stack.token('admin-1', { admin: true });
    const channelId = (await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Expiring' } })).body.id as string;
    // More subscribers than the 25 sends in flight, so the last ones are
    // looked at only after the first sends moved the clock.
    const users = Array.from({ length: 30 }, (_, index) => `reader-${index}`);
    const subscriptions: StoredSubscription[] = [];
    for (const userId of users) {
      await stack.request('PUT', `/api/admin/access/${channelId}/users/${userId}`, { token: admin, body: { periods: [{ start: '2020-01-01T00:00:00Z', end: null }] } });
      await putConnection(stack.db, stack.tables, { connection_id: `conn-${userId}`, user_id: userId, is_admin: false, is_moderator: false, connected_at: new Date(now).toISOString(), expires_at_epoch: 4_000_000_000 });
      const subscription: StoredSubscription = {
        pk: channelSubscriptionKey(channelId),
        sk: `conn-${userId}`,
        connection_id: `conn-${userId}`,
        user_id: userId,
        is_admin: false,
        decision: { mode: 'FULL', validUntil: now + 1_000 },
        subscribed_at: new Date(now).toISOString(),
        expires_at_epoch: 4_000_000_000,
      };
      await putSubscription(stack.db, stack.tables, subscription);
      subscriptions.push(subscription);
    }
    const frames: { connectionId: string; frame: Record<string, unknown> }[] = [];
    const realtime: Realtime = {
      connections: {
        send: async (connectionId, frame) => {
          now += 5_000;
          frames.push({ connectionId, frame: frame as Record<string, unknown> });
          return 'sent';
        },
      },
      events: new InMemoryIntegrationEvents(),
      fanout: { dispatch: async () => undefined },
    };
    const image = { channel_id: channelId, seq: 1, post_id: 'p_1_0123456789abcdef', published_at: new Date(now).toISOString(), version: 1, is_deleted: false };
    const change = postChangeOf(undefined, image)!;

    await deliverBatch(stack.app, realtime, { change, subscriptions });

    expect(frames.map((entry) => entry.frame.type)).toEqual(Array(30).fill('post.published'));
    expect(new Set(frames.map((entry) => entry.connectionId)).size).toBe(30);
  });
});
