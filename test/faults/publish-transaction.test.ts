import { DynamoDBServiceException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channelTarget } from '../../lambdas/adapters/audit.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Faults DynamoDB Local never returns on demand, injected around the
 * document client the HTTP handlers share with the test (`stack.db`).
 * `mockClient` replaces only `send`, and every command the test does not
 * script calls through to the real `send`, so the writes still land in
 * DynamoDB Local and the assertions read real tables.
 */
describe('publish under DynamoDB faults', () => {
  let stack: TestStack;
  let admin: string;
  let dynamoMock: AwsStub<object, MetadataBearer, unknown> | undefined;
  /** The real `send`, for fakes that act first and then let the request through. */
  let realSend: (command: TransactWriteCommand) => Promise<unknown>;

  beforeAll(async () => {
    stack = await startTestStack();
    admin = stack.token('admin-1', { admin: true });
    const send = DynamoDBDocumentClient.prototype.send as (this: DynamoDBDocumentClient, command: TransactWriteCommand) => Promise<unknown>;
    realSend = (command) => send.call(stack.db, command);
  });

  afterEach(() => {
    dynamoMock?.restore();
    dynamoMock = undefined;
    stack.db.middlewareStack.remove('injectThrottling');
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** Stubs `stack.db.send` so that every command calls through until a test scripts one. */
  function mockDocumentClient(): AwsStub<object, MetadataBearer, unknown> {
    dynamoMock = mockClient(stack.db) as unknown as AwsStub<object, MetadataBearer, unknown>;
    dynamoMock.send.callThrough();
    return dynamoMock;
  }

  async function createChannel(): Promise<string> {
    const response = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Signals' } });
    expect(response.status).toBe(201);
    return response.body.id as string;
  }

  function publish(channelId: string, key: string, bodyText: string) {
    return stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
      token: admin,
      body: { body_text: bodyText },
      headers: { 'idempotency-key': key },
    });
  }

  async function storedPosts(channelId: string): Promise<{ seq: number; body_text: string }[]> {
    const { Items } = await stack.db.send(
      new QueryCommand({ TableName: stack.tables.posts, KeyConditionExpression: 'channel_id = :channel', ExpressionAttributeValues: { ':channel': channelId }, ConsistentRead: true }),
    );
    return (Items ?? []).map((item) => ({ seq: item.seq as number, body_text: item.body_text as string }));
  }

  async function publishAuditCount(channelId: string): Promise<number> {
    const { Items } = await stack.db.send(
      new QueryCommand({ TableName: stack.tables.audit, KeyConditionExpression: 'target = :target', ExpressionAttributeValues: { ':target': channelTarget(channelId) }, ConsistentRead: true }),
    );
    return (Items ?? []).filter((item) => item.action === 'post.published').length;
  }

  /** The cancellation DynamoDB returns when one item of the transaction failed with `code` and the rest were not evaluated. */
  function cancellation(input: TransactWriteCommandInput, failedIndex: number, code: string): TransactionCanceledException {
    const reasons = (input.TransactItems ?? []).map((_, index) => ({ Code: index === failedIndex ? code : 'None' }));
    return new TransactionCanceledException({
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`,
      $metadata: { httpStatusCode: 400 },
      CancellationReasons: reasons,
    });
  }

  function transactWriteCalls(mock: AwsStub<object, MetadataBearer, unknown>): number {
    return mock.commandCalls(TransactWriteCommand as never).length;
  }

  describe('throttling', () => {
    it('retries a ThrottlingError cancellation on the counter', async () => {
      const channelId = await createChannel();
      expect((await publish(channelId, 'before', 'first')).status).toBe(201);
      const mock = mockDocumentClient();
      // Index 0 is the counter update, because publish puts it first in the transaction.
      mock.on(TransactWriteCommand as never).callsFakeOnce((input: TransactWriteCommandInput) => {
        throw cancellation(input, 0, 'ThrottlingError');
      });

      const response = await publish(channelId, 'throttled', 'second');

      expect(response.status).toBe(201);
      expect(response.headers.get('idempotent-replayed')).toBeNull();
      expect(response.body.seq).toBe(2);
      expect(response.body.body_text).toBe('second');
      expect(transactWriteCalls(mock)).toBe(2);
      expect((await publish(channelId, 'after', 'third')).body.seq).toBe(3);
      expect(await storedPosts(channelId)).toEqual([
        { seq: 1, body_text: 'first' },
        { seq: 2, body_text: 'second' },
        { seq: 3, body_text: 'third' },
      ]);
      expect(await publishAuditCount(channelId)).toBe(3);
    });

    // Below the SDK's retry middleware, so the SDK's own retry handles it,
    // which `mockClient` cannot show because it replaces `send` above the middleware.
    it('lets the SDK retry a ThrottlingException', async () => {
      const channelId = await createChannel();
      const attempts = injectThrottling(1);

      const response = await publish(channelId, 'sdk-throttled', 'only once');

      expect(response.status).toBe(201);
      expect(response.body.seq).toBe(1);
      expect(attempts()).toEqual({ throttled: 1, passed: 1 });
      expect(await storedPosts(channelId)).toEqual([{ seq: 1, body_text: 'only once' }]);
      expect(await publishAuditCount(channelId)).toBe(1);
    });

    it('returns 429 when throttling outlasts the SDK retries', async () => {
      const channelId = await createChannel();
      const attempts = injectThrottling(Number.POSITIVE_INFINITY);

      const response = await publish(channelId, 'always-throttled', 'never stored');

      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.body).toEqual({
        error: { code: 'rate_limited', message: 'DynamoDB throttled the write; retry after Retry-After seconds, with the same Idempotency-Key if the request sent one' },
      });
      // Every attempt the SDK's retry strategy allows met the fault (4 by default for DynamoDB in SDK 3.1178).
      expect(attempts()).toEqual({ throttled: await stack.db.config.maxAttempts(), passed: 0 });
      stack.db.middlewareStack.remove('injectThrottling');
      expect(await storedPosts(channelId)).toEqual([]);
      expect(await publishAuditCount(channelId)).toBe(0);
      const retried = await publish(channelId, 'always-throttled', 'never stored');
      expect(retried.status).toBe(201);
      expect(retried.body.seq).toBe(1);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
    });
  });

  /**
   * Fails the first `failures` TransactWriteItems attempts with a
   * ThrottlingException at the finalizeRequest step, after the retry
   * middleware, so each SDK retry meets it again. Returns the attempt counts.
   */
  function injectThrottling(failures: number): () => { throttled: number; passed: number } {
    const counts = { throttled: 0, passed: 0 };
    stack.db.middlewareStack.add(
      (next: FinalizeHandler<object, MetadataBearer>, context) => async (args: FinalizeHandlerArguments<object>) => {
        if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
        if (counts.throttled >= failures) {
          counts.passed += 1;
          return next(args);
        }
        counts.throttled += 1;
        throw new DynamoDBServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate of requests exceeds the allowed throughput.',
        });
      },
      { step: 'finalizeRequest', priority: 'low', name: 'injectThrottling' },
    );
    return () => ({ ...counts });
  }

  describe('lost idempotency race', () => {
    it.each([
      {
        name: 'real cancellation',
        // The request's own transaction runs after the competitor committed, so DynamoDB Local cancels it.
        lose: (input: TransactWriteCommandInput) => realSend(new TransactWriteCommand(input)),
      },
      {
        name: 'key condition only',
        // The idempotency record is the last item of the transaction.
        lose: (input: TransactWriteCommandInput) => Promise.reject(cancellation(input, (input.TransactItems ?? []).length - 1, 'ConditionalCheckFailed')),
      },
    ])('replays the winner after a $name', async ({ lose }) => {
      const channelId = await createChannel();
      const mock = mockDocumentClient();
      let winner: Awaited<ReturnType<typeof publish>> | undefined;
      // The first transaction is the loser's. The competitor with the same
      // key commits first, and then the loser's transaction is cancelled.
      mock.on(TransactWriteCommand as never).callsFakeOnce(async (input: TransactWriteCommandInput) => {
        winner = await publish(channelId, 'raced-key', 'exactly once');
        return lose(input);
      });

      const loser = await publish(channelId, 'raced-key', 'exactly once');

      expect(winner?.status).toBe(201);
      expect(winner?.headers.get('idempotent-replayed')).toBeNull();
      expect(loser.status).toBe(201);
      expect(loser.headers.get('idempotent-replayed')).toBe('true');
      expect(loser.text).toBe(winner?.text);
      expect(loser.body.seq).toBe(1);
      expect(transactWriteCalls(mock)).toBe(2);
      expect(await storedPosts(channelId)).toEqual([{ seq: 1, body_text: 'exactly once' }]);
      expect(await publishAuditCount(channelId)).toBe(1);
    });
  });
});
