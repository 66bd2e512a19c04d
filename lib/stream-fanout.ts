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

/** Properties of {@link PostsStreamFanout}. */
export interface PostsStreamFanoutProps {
  /** The posts table. Its stream must carry new and old images. */
  readonly postsTable: ITable;

  /**
   * Consumer of the posts stream. It publishes integration events, sends the
   * first batch of deltas itself and queues the other batches.
   */
  readonly streamFunction: LambdaFunction;

  /** Consumer of the fan-out queue. Each message is one batch of subscribers. */
  readonly workerFunction: LambdaFunction;

  /** Stage whose `@connections` endpoint both functions send deltas through. */
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
   * How long both dead-letter queues keep a message. 14 days is the SQS maximum.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
}

/**
 * Delivery of post changes, with the posts table stream as the outbox: the
 * stream triggers the stream function, which hands further batches of
 * subscribers to a fan-out queue and its worker function. Both functions
 * get the `@connections` endpoint and permission on this stage only. The
 * stream function also gets the bus and the queue.
 */
export class PostsStreamFanout extends Construct {
  /** Receives the stream batches that still fail after the retries. */
  readonly streamDeadLetterQueue: Queue;
  readonly fanoutQueue: Queue;
  /** Receives fan-out messages that failed FANOUT_MAX_RECEIVE_COUNT times. */
  readonly fanoutDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: PostsStreamFanoutProps) {
    super(scope, id);

    const { streamFunction, workerFunction } = props;
    const deadLetterRetention = props.deadLetterRetention ?? Duration.days(14);

    // For a stream the dead-letter message describes the failed batch
    // (shard, sequence numbers, times) but carries no records. Replaying one
    // means reading the stream again within its 24-hour retention.
    this.streamDeadLetterQueue = new Queue(this, 'StreamDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });

    streamFunction.addEventSource(
      new DynamoEventSource(props.postsTable, {
        startingPosition: StartingPosition.LATEST,
        batchSize: POSTS_STREAM_SETTINGS.batchSize,
        bisectBatchOnError: POSTS_STREAM_SETTINGS.bisectBatchOnError,
        retryAttempts: POSTS_STREAM_SETTINGS.retryAttempts,
        maxRecordAge: Duration.seconds(POSTS_STREAM_SETTINGS.maxRecordAgeSeconds),
        reportBatchItemFailures: POSTS_STREAM_SETTINGS.reportBatchItemFailures,
        onFailure: new SqsDlq(this.streamDeadLetterQueue),
        // Publishes, edits and deletes are INSERT and MODIFY (a deleted post
        // stays as a tombstone). A REMOVE record produces no delta, so it
        // does not invoke the function at all.
        filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY') })],
      }),
    );

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

    // SendMessageBatch is authorized as sqs:SendMessage.
    streamFunction.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.fanoutQueue.queueArn] }),
    );
    streamFunction.addEnvironment('FANOUT_QUEUE_URL', this.fanoutQueue.queueUrl);
    props.eventBus.grantPutEventsTo(streamFunction);

    for (const handler of [streamFunction, workerFunction]) {
      handler.addEnvironment('WEBSOCKET_MANAGEMENT_ENDPOINT', props.webSocketStage.callbackUrl);
      // Only the stream function publishes. The worker gets the name as well,
      // because the handlers' realtime setup rejects a missing EVENT_BUS_NAME.
      handler.addEnvironment('EVENT_BUS_NAME', props.eventBus.eventBusName);
      // Scoped to `<api>/<stage>/*/@connections/*` of this stage.
      props.webSocketStage.grantManagementApiAccess(handler);
    }
  }
}
