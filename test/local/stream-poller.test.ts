import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POSTS_STREAM_SETTINGS } from '../../lib/realtime-settings.js';
import { createLogger } from '../../lambdas/logger.js';
import { DeadLetterStore } from '../../local/dead-letter-store.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-local.js';
import { startStreamPoller, type StreamHandler, type StreamPoller, type StreamSettings } from '../../local/stream-poller.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const CHANNEL_ID = 'c-stream';
const seqs = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/**
 * Creates a fake stream function that records the seqs of every invocation.
 * Like the real handler, it processes records in order and stops at the
 * first one that fails, which it reports as a batch item failure (or throws).
 */
function fakeStreamHandler(fails: (seq: number, invocation: number) => boolean, mode: 'report' | 'throw' = 'report') {
  const invocations: number[][] = [];
  const processed: number[] = [];
  const events: DynamoDBStreamEvent[] = [];

  const handler: StreamHandler = async (event) => {
    events.push(event);
    const batch = event.Records.map((record) => Number(record.dynamodb?.Keys?.seq?.N));
    invocations.push(batch);
    const invocation = invocations.length;

    for (const record of event.Records) {
      const seq = Number(record.dynamodb?.Keys?.seq?.N);
      if (fails(seq, invocation)) {
        if (mode === 'throw') throw new Error(`Record ${seq} failed`);
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb!.SequenceNumber! }] };
      }
      processed.push(seq);
    }
    return { batchItemFailures: [] };
  };
  return { handler, invocations, processed, events };
}

describe('stream poller', () => {
  let stack: TestStack;
  let dynamodb: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let poller: StreamPoller | undefined;
  let deadLetterDir: string;
  let deadLetters: DeadLetterStore;

  beforeEach(async () => {
    // Each test gets fresh tables, so its poller reads only its own records from TRIM_HORIZON.
    stack = await startTestStack({ streamHandlers: { posts: async () => ({ batchItemFailures: [] }) } });
    const config = { endpoint: stack.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    dynamodb = new DynamoDBClient(config);
    streams = new DynamoDBStreamsClient(config);
    deadLetterDir = await mkdtemp(join(tmpdir(), 'comm-dead-letters-'));
    deadLetters = new DeadLetterStore({ filePath: join(deadLetterDir, 'dead-letters.jsonl'), logger: createLogger('silent') });
  });

  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
    dynamodb.destroy();
    streams.destroy();
    await stack.stop();
    await rm(deadLetterDir, { recursive: true, force: true });
  });

  async function writePosts(postSeqs: readonly number[]): Promise<void> {
    // One write at a time, so the stream contains the records in seq order.
    for (const seq of postSeqs) {
      await stack.db.send(new PutCommand({ TableName: stack.tables.posts, Item: { channel_id: CHANNEL_ID, seq, body_text: `post ${seq}` } }));
    }
  }

  async function startPoller(handler: StreamHandler, overrides: { settings?: Partial<StreamSettings>; clock?: () => number } = {}): Promise<void> {
    poller = await startStreamPoller({
      dynamodb,
      streams,
      sources: [
        {
          tableName: stack.tables.posts,
          functionName: 'stream-posts-test',
          handler,
          settings: { ...POSTS_STREAM_SETTINGS, ...overrides.settings },
          timeoutSeconds: 10,
          startingPosition: 'TRIM_HORIZON',
        },
      ],
      deadLetters,
      logger: createLogger('silent'),
      pollIntervalMs: 20,
      retryBaseDelayMs: 1,
      ...(overrides.clock && { clock: overrides.clock }),
    });
  }

  async function streamArn(): Promise<string> {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: stack.tables.posts }));
    return Table!.LatestStreamArn!;
  }

  it('retries from the first reported failure only', async () => {
    await writePosts(seqs(1, 10));
    const fake = fakeStreamHandler((seq, invocation) => seq === 4 && invocation === 1);

    await startPoller(fake.handler);

    await waitFor(() => fake.processed.length === 10, { description: 'all ten records to be processed' });
    expect(fake.invocations).toEqual([seqs(1, 10), seqs(4, 10)]);
    expect(fake.processed).toEqual(seqs(1, 10));
    expect(deadLetters.deadLetters).toEqual([]);
  });

  it('splits a batch whose handler throws', async () => {
    await writePosts(seqs(1, 10));
    const fake = fakeStreamHandler((_seq, invocation) => invocation === 1, 'throw');

    await startPoller(fake.handler);

    await waitFor(() => fake.processed.length === 10, { description: 'all ten records to be processed' });
    expect(fake.invocations).toEqual([seqs(1, 10), seqs(1, 5), seqs(6, 10)]);
    expect(fake.processed).toEqual(seqs(1, 10));
  });

  it('retries a thrown batch whole without bisect', async () => {
    await writePosts(seqs(1, 4));
    const fake = fakeStreamHandler((_seq, invocation) => invocation <= 2, 'throw');

    await startPoller(fake.handler, { settings: { bisectBatchOnError: false } });

    await waitFor(() => fake.processed.length === 4, { description: 'all four records to be processed' });
    expect(fake.invocations).toEqual([seqs(1, 4), seqs(1, 4), seqs(1, 4)]);
  });

  it('dead-letters a poison record, keeps order', async () => {
    await writePosts(seqs(1, 10));
    const fake = fakeStreamHandler((seq) => seq === 4);

    await startPoller(fake.handler);

    await waitFor(() => fake.processed.includes(10), { description: 'the records after the poison record' });
    expect(fake.processed).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10]);
    // Split at the failure, then halved down to the poison record, which is retried retryAttempts (3) times.
    expect(fake.invocations).toEqual([seqs(1, 10), seqs(4, 10), seqs(4, 7), [4, 5], [4], [4], [4], [4], [5], [6, 7], [8, 9, 10]]);

    const poisonRecord = fake.events[0]!.Records[3]!;
    expect(deadLetters.deadLetters).toHaveLength(1);
    const deadLetter = deadLetters.deadLetters[0]!;
    expect(deadLetter.requestContext).toEqual({
      requestId: expect.any(String),
      functionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:stream-posts-test`,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 4,
    });
    expect(deadLetter.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(deadLetter.DDBStreamBatchInfo).toEqual({
      shardId: expect.stringMatching(/^shardId-/),
      startSequenceNumber: poisonRecord.dynamodb!.SequenceNumber,
      endSequenceNumber: poisonRecord.dynamodb!.SequenceNumber,
      approximateArrivalOfFirstRecord: new Date(poisonRecord.dynamodb!.ApproximateCreationDateTime! * 1000).toISOString(),
      approximateArrivalOfLastRecord: new Date(poisonRecord.dynamodb!.ApproximateCreationDateTime! * 1000).toISOString(),
      batchSize: 1,
      streamArn: await streamArn(),
    });
    expect(deadLetter.records).toEqual([poisonRecord]);
    expect(deadLetter.error).toEqual({ errorType: 'BatchItemFailure', errorMessage: `The function reported sequence number ${poisonRecord.dynamodb!.SequenceNumber} as failed` });
  });

  it('appends dead letters to the JSON Lines file', async () => {
    await writePosts([1]);
    const fake = fakeStreamHandler(() => true, 'throw');

    await startPoller(fake.handler);

    await waitFor(() => deadLetters.deadLetters.length === 1, { description: 'the dead letter' });
    const lines = (await readFile(join(deadLetterDir, 'dead-letters.jsonl'), 'utf8')).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual(deadLetters.deadLetters[0]);
    expect(deadLetters.deadLetters[0]!.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    expect(deadLetters.deadLetters[0]!.error).toEqual({ errorType: 'Error', errorMessage: 'Record 1 failed' });
  });

  it('dead-letters the remaining batch without bisect', async () => {
    await writePosts(seqs(1, 10));
    const fake = fakeStreamHandler((seq) => seq === 4);

    await startPoller(fake.handler, { settings: { bisectBatchOnError: false } });

    await waitFor(() => deadLetters.deadLetters.length === 1, { description: 'the dead letter' });
    expect(fake.invocations).toEqual([seqs(1, 10), seqs(4, 10), seqs(4, 10), seqs(4, 10)]);
    expect(fake.processed).toEqual([1, 2, 3]);
    const info = deadLetters.deadLetters[0]!.DDBStreamBatchInfo;
    expect(info.batchSize).toBe(7);
    expect(info.startSequenceNumber).toBe(fake.events[0]!.Records[3]!.dynamodb!.SequenceNumber);
    expect(info.endSequenceNumber).toBe(fake.events[0]!.Records[9]!.dynamodb!.SequenceNumber);
  });

  it('fails the batch on unknown identifiers', async () => {
    await writePosts(seqs(1, 2));
    let calls = 0;
    const handler: StreamHandler = async () => {
      calls += 1;
      return { batchItemFailures: calls === 1 ? [{ itemIdentifier: 'not-a-sequence-number' }] : [] };
    };
    const fake = fakeStreamHandler(() => false);
    const recording: StreamHandler = async (event) => {
      await fake.handler(event);
      return handler(event);
    };

    await startPoller(recording);

    await waitFor(() => fake.invocations.length === 3, { description: 'the split retries' });
    expect(fake.invocations).toEqual([[1, 2], [1], [2]]);
  });

  it('dead-letters records past the maximum age', async () => {
    await writePosts(seqs(1, 3));
    const fake = fakeStreamHandler(() => false);
    const twoHoursLater = (): number => Date.now() + 2 * 60 * 60 * 1000;

    await startPoller(fake.handler, { clock: twoHoursLater });

    await waitFor(() => deadLetters.deadLetters.length === 1, { description: 'the expired records' });
    const deadLetter = deadLetters.deadLetters[0]!;
    expect(deadLetter.requestContext.condition).toBe('RecordAgeExceeded');
    expect(deadLetter.requestContext.approximateInvokeCount).toBe(0);
    expect(deadLetter.responseContext).toBeUndefined();
    expect(deadLetter.DDBStreamBatchInfo.batchSize).toBe(3);
    expect(deadLetter.records.map((record) => record.dynamodb?.Keys?.seq?.N)).toEqual(['1', '2', '3']);
    expect(fake.invocations).toEqual([]);
  });

  it('delivers genuine DynamoDB stream events', async () => {
    const key = { channel_id: CHANNEL_ID, seq: 1 };
    await stack.db.send(new PutCommand({ TableName: stack.tables.posts, Item: { ...key, body_text: 'first', attachment: Buffer.from('hi') } }));
    await stack.db.send(new UpdateCommand({ TableName: stack.tables.posts, Key: key, UpdateExpression: 'SET body_text = :text', ExpressionAttributeValues: { ':text': 'edited' } }));
    await stack.db.send(new DeleteCommand({ TableName: stack.tables.posts, Key: key }));
    const fake = fakeStreamHandler(() => false);
    const nowSeconds = Math.floor(Date.now() / 1000);

    await startPoller(fake.handler);

    await waitFor(() => fake.processed.length === 3, { description: 'the three records' });
    const [inserted, modified, removed] = fake.events[0]!.Records;
    const keys = { channel_id: { S: CHANNEL_ID }, seq: { N: '1' } };
    const firstImage = { ...keys, body_text: { S: 'first' }, attachment: { B: Buffer.from('hi').toString('base64') } };
    const editedImage = { ...firstImage, body_text: { S: 'edited' } };
    const recordFields = {
      eventID: expect.any(String),
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      // DynamoDB Local reports this region in its records and stream ARNs.
      awsRegion: 'ddblocal',
      eventSourceARN: await streamArn(),
    };
    const streamFields = { ApproximateCreationDateTime: expect.any(Number), Keys: keys, SequenceNumber: expect.stringMatching(/^\d+$/), SizeBytes: expect.any(Number), StreamViewType: 'NEW_AND_OLD_IMAGES' };
    expect(inserted).toEqual({ ...recordFields, eventName: 'INSERT', dynamodb: { ...streamFields, NewImage: firstImage } });
    expect(modified).toEqual({ ...recordFields, eventName: 'MODIFY', dynamodb: { ...streamFields, OldImage: firstImage, NewImage: editedImage } });
    expect(removed).toEqual({ ...recordFields, eventName: 'REMOVE', dynamodb: { ...streamFields, OldImage: editedImage } });
    const createdAt = inserted!.dynamodb!.ApproximateCreationDateTime!;
    expect(Number.isInteger(createdAt)).toBe(true);
    // DynamoDB Local rounds the creation time down to the minute.
    expect(createdAt).toBeGreaterThanOrEqual(nowSeconds - 60);
    expect(createdAt).toBeLessThanOrEqual(nowSeconds + 1);
  });
});

describe('local stack stream poller', () => {
  let stack: TestStack;

  afterEach(async () => {
    await stack.stop();
  });

  it('dead-letters with an injected stack handler', async () => {
    const fake = fakeStreamHandler(() => true);
    stack = await startTestStack({ streamHandlers: { posts: fake.handler }, streamPolling: { pollIntervalMs: 20, retryBaseDelayMs: 1 } });

    await stack.db.send(new PutCommand({ TableName: stack.tables.posts, Item: { channel_id: CHANNEL_ID, seq: 1, body_text: 'poison' } }));

    await waitFor(() => stack.deadLetters.length === 1, { description: 'the dead letter on the stack' });
    expect(stack.deadLetters[0]!.requestContext.functionArn).toBe(`arn:aws:lambda:${LOCAL_REGION}:000000000000:function:stream-posts`);
    expect(stack.deadLetters[0]!.requestContext.approximateInvokeCount).toBe(POSTS_STREAM_SETTINGS.retryAttempts + 1);
    expect(fake.invocations).toEqual([[1], [1], [1], [1]]);
  });
});
