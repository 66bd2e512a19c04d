import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { putConnection, putSubscription } from '../../lambdas/adapters/connection-store.js';
import { EVENT_SOURCE, EventBridgeIntegrationEvents } from '../../lambdas/adapters/integration-events.js';
import { createApp, type App } from '../../lambdas/app.js';
import type { PostImage } from '../../lambdas/domain/deltas.js';
import { channelSubscriptionKey } from '../../lambdas/domain/subscriptions.js';
import { createStreamHandler } from '../../lambdas/handlers/stream-posts.js';
import { createLogger } from '../../lambdas/logger.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const CHANNEL_ID = 'ch_events';
const CONNECTION_ID = 'conn-events';
const BUS_NAME = 'bus';
/** Stream sequence numbers of the two records, in stream order. */
const FIRST_SEQUENCE_NUMBER = '100000000000000000001';
const SECOND_SEQUENCE_NUMBER = '100000000000000000002';

/**
 * EventBridge failures on the posts stream consumer. Integration events are
 * published before any delta is sent, so a record whose event failed sends
 * nothing and is reported for retry, and so are the records behind it in
 * the same channel.
 */
describe('stream-posts with a failing EventBridge', () => {
  const eventBridge = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const eventBridgeMock = mockClient(eventBridge);
  const now = Date.parse('2026-06-01T12:00:00.000Z');
  const frames: { connectionId: string; frame: unknown }[] = [];
  let stack: TestStack;
  let app: App;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => now });
    app = await createApp(stack.app.env, {
      db: stack.db,
      clock: () => now,
      logger: createLogger('silent'),
      realtime: {
        connections: {
          send: async (connectionId, frame) => {
            frames.push({ connectionId, frame });
            return 'sent';
          },
        },
        events: new EventBridgeIntegrationEvents(eventBridge, BUS_NAME),
        fanout: { dispatch: async () => undefined },
      },
    });
    await putConnection(stack.db, stack.tables, { connection_id: CONNECTION_ID, user_id: 'reader-1', is_admin: false, is_moderator: false, connected_at: new Date(now).toISOString(), expires_at_epoch: 4_000_000_000 });
    await putSubscription(stack.db, stack.tables, {
      pk: channelSubscriptionKey(CHANNEL_ID),
      sk: CONNECTION_ID,
      connection_id: CONNECTION_ID,
      user_id: 'reader-1',
      is_admin: false,
      decision: { mode: 'FULL', validUntil: now + 3_600_000 },
      subscribed_at: new Date(now).toISOString(),
      expires_at_epoch: 4_000_000_000,
    });
  });

  afterEach(() => {
    eventBridgeMock.reset();
    frames.length = 0;
  });

  afterAll(async () => {
    eventBridgeMock.restore();
    await stack.stop();
  });

  function postImage(seq: number): PostImage & Record<string, unknown> {
    return {
      channel_id: CHANNEL_ID,
      seq,
      post_id: `p_${seq}_0123456789abcdef`,
      published_at: new Date(now - 60_000 + seq).toISOString(),
      published_key: `${new Date(now - 60_000 + seq).toISOString()}#${seq}`,
      author_id: 'admin-1',
      body_text: `post ${seq}`,
      attachments: [],
      edited_at: null,
      version: 1,
      is_deleted: false,
    };
  }

  /** Builds an INSERT record as a Lambda event source mapping delivers it. */
  function insertRecord(seq: number, sequenceNumber: string): DynamoDBRecord {
    const image = marshall(postImage(seq)) as Record<string, SdkAttributeValue> as Record<string, LambdaAttributeValue>;
    return {
      eventID: `event-${sequenceNumber}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(now / 1000),
        Keys: { channel_id: { S: CHANNEL_ID }, seq: { N: String(seq) } },
        NewImage: image,
        SequenceNumber: sequenceNumber,
        SizeBytes: 256,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${stack.tables.posts}/stream/2026-06-01T00:00:00.000`,
    };
  }

  function delta(seq: number) {
    return { type: 'post.published', channel_id: CHANNEL_ID, seq, post_id: `p_${seq}_0123456789abcdef`, dedupe_key: `${CHANNEL_ID}:${seq}:1` };
  }

  function putEventsEntries(): unknown[] {
    return eventBridgeMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries);
  }

  function eventEntries(seq: number) {
    return [{ EventBusName: BUS_NAME, Source: EVENT_SOURCE, DetailType: 'post.published', Detail: JSON.stringify({ ...delta(seq), version: 1 }) }];
  }

  const accepted: PutEventsCommandOutput = { $metadata: {}, FailedEntryCount: 0, Entries: [{ EventId: 'event-id' }] };

  it.each([
    {
      name: 'FailedEntryCount 1',
      fail: (mock: typeof eventBridgeMock) => mock.on(PutEventsCommand).resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure' }] }),
    },
    {
      name: 'thrown error',
      fail: (mock: typeof eventBridgeMock) =>
        mock.on(PutEventsCommand).rejectsOnce(new EventBridgeServiceException({ name: 'InternalException', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'Internal failure' })),
    },
  ])('retries the record after a $name', async ({ fail }) => {
    fail(eventBridgeMock).resolves(accepted);
    const event: DynamoDBStreamEvent = { Records: [insertRecord(1, FIRST_SEQUENCE_NUMBER), insertRecord(2, SECOND_SEQUENCE_NUMBER)] };
    const handler = createStreamHandler(app);

    const failed = await handler(event);

    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: FIRST_SEQUENCE_NUMBER }] });
    expect(frames).toEqual([]);
    // The second record waits behind the first, so its event was never sent.
    expect(putEventsEntries()).toEqual([eventEntries(1)]);

    // Lambda retries the batch from the reported record.
    const retried = await handler(event);

    expect(retried).toEqual({ batchItemFailures: [] });
    expect(frames).toEqual([
      { connectionId: CONNECTION_ID, frame: delta(1) },
      { connectionId: CONNECTION_ID, frame: delta(2) },
    ]);
    expect(putEventsEntries()).toEqual([eventEntries(1), eventEntries(1), eventEntries(2)]);
  });
});
