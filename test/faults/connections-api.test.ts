import { ApiGatewayManagementApiClient, ApiGatewayManagementApiServiceException, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManagementApiConnections } from '../../lambdas/adapters/connections-api.js';
import { getConnection, listSubscriptions, putConnection, putSubscription, type StoredSubscription } from '../../lambdas/adapters/connection-store.js';
import { InMemoryIntegrationEvents } from '../../lambdas/adapters/integration-events.js';
import { postChangeOf, type PostChange } from '../../lambdas/domain/deltas.js';
import { channelSubscriptionKey } from '../../lambdas/domain/subscriptions.js';
import { deliverBatch } from '../../lambdas/realtime/delivery.js';
import type { Realtime } from '../../lambdas/realtime/realtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * @connections failures that the local endpoint never returns. The mock
 * replaces `send`, which sits above the SDK's retry middleware, so each
 * rejection stands for a failure that outlasted the SDK's own retries.
 */
describe('deliverBatch with a failing @connections API', () => {
  const client = new ApiGatewayManagementApiClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const connectionsMock = mockClient(client);
  const now = Date.parse('2026-06-01T12:00:00.000Z');
  let stack: TestStack;
  let realtime: Realtime;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => now });
    realtime = {
      connections: new ManagementApiConnections(client),
      events: new InMemoryIntegrationEvents(),
      fanout: { dispatch: async () => undefined },
    };
  });

  afterEach(() => {
    connectionsMock.reset();
  });

  afterAll(async () => {
    connectionsMock.restore();
    await stack.stop();
  });

  /** Stores a connection subscribed to `channelId` with a FULL decision that stays valid for the test. */
  async function subscribe(channelId: string, connectionId: string): Promise<StoredSubscription> {
    await putConnection(stack.db, stack.tables, { connection_id: connectionId, user_id: `user-${connectionId}`, is_admin: false, is_moderator: false, connected_at: new Date(now).toISOString(), expires_at_epoch: 4_000_000_000 });
    const subscription: StoredSubscription = {
      pk: channelSubscriptionKey(channelId),
      sk: connectionId,
      connection_id: connectionId,
      user_id: `user-${connectionId}`,
      is_admin: false,
      decision: { mode: 'FULL', validUntil: now + 3_600_000 },
      subscribed_at: new Date(now).toISOString(),
      expires_at_epoch: 4_000_000_000,
    };
    expect(await putSubscription(stack.db, stack.tables, subscription)).toBe(true);
    return subscription;
  }

  function publishedChange(channelId: string): PostChange {
    return postChangeOf(undefined, { channel_id: channelId, seq: 1, post_id: 'p_1_0123456789abcdef', published_at: new Date(now).toISOString(), version: 1, is_deleted: false })!;
  }

  /** Returns the frames the mock received, as (connection id, decoded JSON) pairs. */
  function sentFrames(): { connectionId: string | undefined; frame: unknown }[] {
    return connectionsMock.commandCalls(PostToConnectionCommand).map((call) => ({
      connectionId: call.args[0].input.ConnectionId,
      frame: JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')),
    }));
  }

  async function subscribedConnections(channelId: string): Promise<string[]> {
    return (await listSubscriptions(stack.db, stack.tables, channelSubscriptionKey(channelId))).map((subscription) => subscription.connection_id);
  }

  it('throws on a 500 and keeps the subscription', async () => {
    const channelId = 'ch_server_error';
    const subscription = await subscribe(channelId, 'conn-500');
    const change = publishedChange(channelId);
    const serverError = new ApiGatewayManagementApiServiceException({ name: 'InternalServerErrorException', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'Internal server error' });
    connectionsMock.on(PostToConnectionCommand).rejectsOnce(serverError).resolves({});

    const failure = await deliverBatch(stack.app, realtime, { change, subscriptions: [subscription] }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe('Delivery failed for 1 of 1 connections');
    expect((failure as Error).cause).toBe(serverError);
    expect(sentFrames()).toEqual([{ connectionId: 'conn-500', frame: change.delta }]);
    expect(await subscribedConnections(channelId)).toEqual(['conn-500']);
    expect(await getConnection(stack.db, stack.tables, 'conn-500')).toBeDefined();

    await deliverBatch(stack.app, realtime, { change, subscriptions: [subscription] });

    expect(sentFrames()).toEqual([
      { connectionId: 'conn-500', frame: change.delta },
      { connectionId: 'conn-500', frame: change.delta },
    ]);
    expect(await subscribedConnections(channelId)).toEqual(['conn-500']);
  });

  it('removes a connection that answers 410', async () => {
    const channelId = 'ch_gone';
    const subscription = await subscribe(channelId, 'conn-410');
    const change = publishedChange(channelId);
    connectionsMock.on(PostToConnectionCommand).rejects(new GoneException({ message: 'Connection is gone', $metadata: { httpStatusCode: 410 } }));

    await deliverBatch(stack.app, realtime, { change, subscriptions: [subscription] });

    expect(sentFrames()).toEqual([{ connectionId: 'conn-410', frame: change.delta }]);
    expect(await subscribedConnections(channelId)).toEqual([]);
    expect(await getConnection(stack.db, stack.tables, 'conn-410')).toBeUndefined();
  });

  it('keeps failed, removes gone connection', async () => {
    const channelId = 'ch_mixed';
    const failing = await subscribe(channelId, 'conn-a-500');
    const gone = await subscribe(channelId, 'conn-b-410');
    const change = publishedChange(channelId);
    connectionsMock
      .on(PostToConnectionCommand, { ConnectionId: 'conn-a-500' })
      .rejects(new ApiGatewayManagementApiServiceException({ name: 'InternalServerErrorException', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'Internal server error' }))
      .on(PostToConnectionCommand, { ConnectionId: 'conn-b-410' })
      .rejects(new GoneException({ message: 'Connection is gone', $metadata: { httpStatusCode: 410 } }));

    const failure = await deliverBatch(stack.app, realtime, { change, subscriptions: [failing, gone] }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect((failure as Error).message).toBe('Delivery failed for 1 of 2 connections');
    expect(sentFrames().map((sent) => sent.connectionId).sort()).toEqual(['conn-a-500', 'conn-b-410']);
    expect(await subscribedConnections(channelId)).toEqual(['conn-a-500']);
    expect(await getConnection(stack.db, stack.tables, 'conn-a-500')).toBeDefined();
    expect(await getConnection(stack.db, stack.tables, 'conn-b-410')).toBeUndefined();
  });
});
