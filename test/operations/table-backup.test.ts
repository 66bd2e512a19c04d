import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMessageSequences, checkSequences, formatRanges } from '../../local/restore-verify.js';
import { restoreItems, type StoredItem } from '../../local/table-backup.js';

const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const dynamoMock = mockClient(client);

const item = (seq: number): StoredItem => ({ channel_id: { S: 'ch_1' }, seq: { N: String(seq) } });
const channel = (channelId: string, lastSeq: number): StoredItem => ({ channel_id: { S: channelId }, last_seq: { N: String(lastSeq) } });

describe('restoreItems', () => {
  afterEach(() => {
    dynamoMock.reset();
  });

  it('sends unprocessed items again', async () => {
    dynamoMock
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { posts: [{ PutRequest: { Item: item(2) } }] } })
      .resolvesOnce({});

    const result = await restoreItems(client, 'posts', [item(1), item(2), item(3)], { retryBaseDelayMs: 1 });

    expect(result).toEqual({ written: 3, retries: 1 });
    const calls = dynamoMock.commandCalls(BatchWriteItemCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.RequestItems).toEqual({ posts: [{ PutRequest: { Item: item(2) } }] });
  });

  it('writes 25 items per batch', async () => {
    dynamoMock.on(BatchWriteItemCommand).resolves({});

    await restoreItems(client, 'posts', Array.from({ length: 60 }, (_, index) => item(index + 1)));

    const sizes = dynamoMock.commandCalls(BatchWriteItemCommand).map((call) => call.args[0].input.RequestItems!.posts!.length);
    expect(sizes).toEqual([25, 25, 10]);
  });

  it('gives up after maxAttempts', async () => {
    dynamoMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { posts: [{ PutRequest: { Item: item(1) } }] } });

    const restoring = restoreItems(client, 'posts', [item(1)], { maxAttempts: 3, retryBaseDelayMs: 1 });

    await expect(restoring).rejects.toThrow(
      'Restoring table posts failed: BatchWriteItem left 1 item unprocessed after 3 attempts. Run the restore again, because putting an already restored item again does no harm.',
    );
    expect(dynamoMock.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
  });
});

describe('checkSequences', () => {
  it('passes on 1..last_seq', () => {
    expect(checkSequences([channel('ch_1', 3)], [item(1), item(2), item(3)])).toEqual([]);
  });

  it('reports gaps, extras and orphans', () => {
    const orphan: StoredItem = { channel_id: { S: 'ch_gone' }, seq: { N: '1' } };

    const failures = checkSequences([channel('ch_1', 5)], [item(1), item(4), item(6), orphan]);

    expect(failures).toEqual([
      'channel ch_1: seq 2-3, 5 missing, so 1..5 has a gap',
      'channel ch_1: post at seq 6 outside 1..last_seq (5)',
      'channel ch_gone: no channel item, so the posts at seq 1 have no last_seq to check against',
    ]);
  });
});

describe('checkMessageSequences', () => {
  const topic = (topicId: string, lastSeq: number): StoredItem => ({ topic_id: { S: topicId }, last_seq: { N: String(lastSeq) } });
  const message = (seq: number): StoredItem => ({ topic_id: { S: 't_1' }, seq: { N: String(seq) } });

  it('passes on 1..last_seq', () => {
    expect(checkMessageSequences([topic('t_1', 2)], [message(1), message(2)])).toEqual([]);
  });

  it('reports a gap in a topic', () => {
    expect(checkMessageSequences([topic('t_1', 3)], [message(1), message(3)])).toEqual(['topic t_1: seq 2 missing, so 1..3 has a gap']);
  });
});

describe('formatRanges', () => {
  it.each([
    [[], ''],
    [[4], '4'],
    [[1, 2, 3], '1-3'],
    [[3, 7, 8, 9, 12], '3, 7-9, 12'],
  ])('formats %j as "%s"', (seqs, expected) => {
    expect(formatRanges(seqs)).toBe(expected);
  });
});
