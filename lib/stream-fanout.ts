import { Duration } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { POSTS_STREAM_SETTINGS } from './realtime-settings.js';

/**
 * Lambda's recommendation for a queue that triggers a function: a
 * visibility timeout of at least six times the function timeout. The margin
 * lets Lambda retry a throttled invocation before the message becomes
 * visible again and is delivered twice.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Fan-out messages a worker receives per invocation. Each message is one batch of subscribers. */
export const FANOUT_RECEIVE_BATCH_SIZE = 10;

/** Deliveries of one fan-out message before SQS moves it to the dead-letter queue. */
export const FANOUT_MAX_RECEIVE_COUNT = 3;

/** Lambda's default timeout, which applies when a function sets none. */
const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);

/** One stream consumer: a function and the tables whose streams invoke it. */
export interface StreamConsumer {
  /**
   * PascalCase name, such as `StreamPosts`. The consumer's dead-letter queue
   * is `<name>DeadLetterQueue`, so changing it replaces that queue.
   */
  readonly name: string;

  /** Tables whose streams invoke the function. Each stream must carry new and old images. */
  readonly tables: readonly ITable[];

  /**
   * The consumer. It publishes integration events, sends the first batch of
   * deltas itself and queues the other batches.
   */
  readonly function: LambdaFunction;
}

/** Properties of {@link StreamFanout}. */
export interface StreamFanoutProps {
  /** Stream consumers. Each gets its own dead-letter queue. */
  readonly consumers: readonly StreamConsumer[];

  /** Consumer of the fan-out queue. Each message is one batch of subscribers. */
  readonly workerFunction: LambdaFunction;

  /** Stage whose `@connections` endpoint every consumer and the worker send deltas through. */
  readonly webSocketStage: WebSocketStage;

  /** Bus that receives the integration events. */
  readonly eventBus: IEventBus;

  /**
   * Fan-out messages per worker invocation.
   *
   * @default FANOUT_RECEIVE_BATCH_SIZE (10)
   */
  readonly fanoutBatchSize?: number;

  /**
   * How long every dead-letter queue keeps a message. 14 days is the SQS maximum.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
}

/**
 * Delivery of changes, with table streams as the outbox: each stream
 * triggers its consumer function, which hands further batches of
 * subscribers to one shared fan-out queue and its worker function. Every
 * function gets the `@connections` endpoint and permission on this stage
 * only. The consumers also get the bus and the queue.
 *
 * @throws Error when two consumers have the same name.
 */
export class StreamFanout extends Construct {
  /** Dead-letter queue of each consumer, keyed by consumer name. It receives the stream batches that still fail after the retries. */
  readonly streamDeadLetterQueues: ReadonlyMap<string, Queue>;
  readonly fanoutQueue: Queue;
  /** Receives fan-out messages that failed FANOUT_MAX_RECEIVE_COUNT times. */
  readonly fanoutDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: StreamFanoutProps) {
    super(scope, id);

    const { workerFunction } = props;
    const deadLetterRetention = props.deadLetterRetention ?? Duration.days(14);

    this.fanoutDeadLetterQueue = new Queue(this, 'FanoutDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });

    const workerTimeout = workerFunction.timeout ?? LAMBDA_DEFAULT_TIMEOUT;
    this.fanoutQueue = new Queue(this, 'FanoutQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.fanoutDeadLetterQueue, maxReceiveCount: FANOUT_MAX_RECEIVE_COUNT },
    });

    workerFunction.addEventSource(
      new SqsEventSource(this.fanoutQueue, {
        batchSize: props.fanoutBatchSize ?? FANOUT_RECEIVE_BATCH_SIZE,
        // The worker reports failed messages, so SQS redelivers only those.
        reportBatchItemFailures: true,
      }),
    );

    const deadLetterQueues = new Map<string, Queue>();
    for (const consumer of props.consumers) {
      if (deadLetterQueues.has(consumer.name)) {
        throw new Error(`Two stream consumers are named "${consumer.name}" in ${this.node.path}. Give each consumer its own name.`);
      }
      deadLetterQueues.set(consumer.name, this.addConsumer(consumer, deadLetterRetention, props.eventBus));
    }
    this.streamDeadLetterQueues = deadLetterQueues;

    for (const handler of [...props.consumers.map((consumer) => consumer.function), workerFunction]) {
      handler.addEnvironment('WEBSOCKET_MANAGEMENT_ENDPOINT', props.webSocketStage.callbackUrl);
      // Only the consumers publish. The worker gets the name as well,
      // because the handlers' realtime setup rejects a missing EVENT_BUS_NAME.
      handler.addEnvironment('EVENT_BUS_NAME', props.eventBus.eventBusName);
      // Scoped to `<api>/<stage>/*/@connections/*` of this stage.
      props.webSocketStage.grantManagementApiAccess(handler);
    }
  }

  /**
   * Returns the dead-letter queue of the named consumer.
   *
   * @throws Error when no consumer has that name.
   */
  streamDeadLetterQueue(name: string): Queue {
    const queue = this.streamDeadLetterQueues.get(name);
    if (queue === undefined) {
      const known = [...this.streamDeadLetterQueues.keys()].join(', ');
      throw new Error(`No stream consumer "${name}" in ${this.node.path}. Its consumers: ${known}.`);
    }
    return queue;
  }

  /** Maps each of the consumer's table streams to its function and returns the consumer's dead-letter queue. */
  private addConsumer(consumer: StreamConsumer, deadLetterRetention: Duration, eventBus: IEventBus): Queue {
    // For a stream the dead-letter message describes the failed batch
    // (stream ARN, shard, sequence numbers, times) but carries no records.
    // Replaying one means reading the stream again within its 24-hour retention.
    const deadLetterQueue = new Queue(this, `${consumer.name}DeadLetterQueue`, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });

    // Every stream delivers with the posts stream's settings, which the
    // local stream poller applies to all streams as well.
    for (const table of consumer.tables) {
      consumer.function.addEventSource(
        new DynamoEventSource(table, {
          startingPosition: StartingPosition.LATEST,
          batchSize: POSTS_STREAM_SETTINGS.batchSize,
          bisectBatchOnError: POSTS_STREAM_SETTINGS.bisectBatchOnError,
          retryAttempts: POSTS_STREAM_SETTINGS.retryAttempts,
          maxRecordAge: Duration.seconds(POSTS_STREAM_SETTINGS.maxRecordAgeSeconds),
          reportBatchItemFailures: POSTS_STREAM_SETTINGS.reportBatchItemFailures,
          onFailure: new SqsDlq(deadLetterQueue),
          // Creates, edits and deletes are INSERT and MODIFY, because a
          // deleted post or message stays as a tombstone. A REMOVE record
          // produces no delta, so it does not invoke the function at all.
          filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY') })],
        }),
      );
    }

    // SendMessageBatch is authorized as sqs:SendMessage.
    consumer.function.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.fanoutQueue.queueArn] }),
    );
    consumer.function.addEnvironment('FANOUT_QUEUE_URL', this.fanoutQueue.queueUrl);
    eventBus.grantPutEventsTo(consumer.function);

    return deadLetterQueue;
  }
}
