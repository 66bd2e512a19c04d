import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { CommAlarms, type MonitoredFunction, type MonitoredStreamConsumer } from './alarms.js';
import { readCommSettings, type CommSettings } from './config.js';
import { CommDashboard } from './dashboard.js';
import { DataTables } from './data-tables.js';
import type { AccessProviderBinding } from './handler-function.js';
import { CommHttpApi } from './http-api.js';
import { MediaBucket } from './media-bucket.js';
import { toPascalCase } from './naming.js';
import {
  REALTIME_FUNCTIONS,
  RealtimeFunction,
  authorizerEnvironment,
  type RealtimeFunctionDefinition,
  type RealtimeHandler,
} from './realtime-functions.js';
import { WEBSOCKET_ROUTES } from './realtime-settings.js';
import { RouteFunction, checksAccess } from './route-function.js';
import { ROUTES } from './routes.js';
import { StreamFanout } from './stream-fanout.js';
import type { TableId } from './table-definitions.js';
import { CommWebSocketApi } from './websocket-api.js';

/** A consumer of table streams, and the names its dead-letter queue and alarms carry. */
interface StreamConsumerDefinition {
  readonly handler: RealtimeHandler;
  /** Tables whose streams invoke the consumer. */
  readonly tables: readonly TableId[];
  /** Lower-case name in alarm descriptions and dashboard labels. */
  readonly label: string;
  /** Start of the consumer's alarm names, such as `stream` in `stream-iterator-age`. */
  readonly alarmPrefix: string;
}

const STREAM_CONSUMERS: readonly StreamConsumerDefinition[] = [
  // The posts consumer's alarms predate the forum stream and keep their names.
  { handler: 'stream-posts', tables: ['posts'], label: 'posts stream', alarmPrefix: 'stream' },
  // Topic changes (moderation) and message changes reach the same topic subscribers.
  { handler: 'stream-forums', tables: ['topics', 'messages'], label: 'forum stream', alarmPrefix: 'forum-stream' },
];

/** A stream consumer's function with the definition it came from. */
interface CreatedStreamConsumer {
  readonly definition: StreamConsumerDefinition;
  /** Consumer name in StreamFanout, the PascalCase handler, such as `StreamPosts`. */
  readonly name: string;
  readonly function: RealtimeFunction;
}

/**
 * Properties of {@link CommStack}. The layer's own settings come from CDK
 * context (see `readCommSettings` in config.ts), so that `cdk.json` and `-c`
 * are the one place to configure a deployment.
 */
export type CommStackProps = StackProps;

/**
 * The communication layer: DynamoDB tables, the private media bucket, one
 * Lambda function per HTTP route, and the HTTP API with its JWT authorizer.
 * It also contains the WebSocket API and delivers post, topic and message
 * changes from the table streams to sockets and to the integration event
 * bus. CloudWatch alarms notify one SNS topic, and one dashboard shows the
 * same metrics.
 *
 * @throws Error listing every invalid or missing context key.
 */
export class CommStack extends Stack {
  readonly settings: CommSettings;
  readonly tables: DataTables;
  readonly media: MediaBucket;
  readonly functions: readonly RouteFunction[];
  readonly httpApi: CommHttpApi;
  /** WebSocket, stream and queue functions, keyed by handler. */
  readonly realtimeFunctions: ReadonlyMap<RealtimeHandler, RealtimeFunction>;
  readonly webSocketApi: CommWebSocketApi;
  /** Receives integration events for the platform: post and message changes, and topic moderation. */
  readonly eventBus: EventBus;
  /** The stream consumers' dead-letter queues and the shared fan-out queue. */
  readonly fanout: StreamFanout;
  /** Receives every alarm's ALARM and OK notifications. */
  readonly alarmTopic: Topic;
  readonly alarms: CommAlarms;
  readonly dashboard: CommDashboard;

  constructor(scope: Construct, id: string, props: CommStackProps = {}) {
    super(scope, id, props);

    this.settings = readCommSettings(this.node);
    this.tables = new DataTables(this, 'Tables');
    this.media = new MediaBucket(this, 'Media', {
      allowedTypes: this.settings.mediaAllowedTypes,
      maxUploadBytes: this.settings.mediaMaxUploadBytes,
      urlSeconds: this.settings.mediaUrlSeconds,
      uploadUrlSeconds: this.settings.mediaUploadUrlSeconds,
      uploadOrigins: this.settings.mediaUploadOrigins,
      noncurrentVersionDays: this.settings.mediaNoncurrentVersionDays,
    });

    const accessProvider = this.createAccessProvider();
    const environment = {
      ROLE_CLAIM: this.settings.roleClaim,
      ADMIN_GROUP: this.settings.adminGroup,
      MODERATOR_GROUP: this.settings.moderatorGroup,
    };
    const forumPosting = {
      FORUM_EDIT_WINDOW_HOURS: String(this.settings.forumEditWindowHours),
      FORUM_RATE_LIMIT_MESSAGES: String(this.settings.forumRateLimitMessages),
      FORUM_RATE_LIMIT_WINDOW_SECONDS: String(this.settings.forumRateLimitWindowSeconds),
    };
    this.functions = ROUTES.map(
      (route) =>
        new RouteFunction(this, toPascalCase(route.handler), {
          route,
          tables: this.tables,
          mediaBucket: this.media,
          environment,
          accessProvider,
          forumPosting,
          logRetention: this.settings.logRetentionDays,
        }),
    );

    this.httpApi = new CommHttpApi(this, 'Http', {
      jwtIssuer: this.settings.jwtIssuer,
      jwtAudience: this.settings.jwtAudience,
      routes: this.functions.map(({ route, function: handler }) => ({ route, function: handler })),
      corsAllowedOrigins: this.settings.corsAllowedOrigins,
      throttleRateLimit: this.settings.throttleRateLimit,
      throttleBurstLimit: this.settings.throttleBurstLimit,
      accessLogRetention: this.settings.logRetentionDays,
    });

    const realtimeFunctions = new Map<RealtimeHandler, RealtimeFunction>();
    const realtimeFunction = (
      definition: RealtimeFunctionDefinition,
      extraEnvironment: Readonly<Record<string, string>> = {},
    ): RealtimeFunction => {
      const created = new RealtimeFunction(this, toPascalCase(definition.handler), {
        definition,
        tables: this.tables,
        environment: { ...environment, ...extraEnvironment },
        accessProvider,
        logRetention: this.settings.logRetentionDays,
      });
      realtimeFunctions.set(definition.handler, created);
      return created;
    };

    this.webSocketApi = new CommWebSocketApi(this, 'WebSocket', {
      authorizerFunction: realtimeFunction(REALTIME_FUNCTIONS['ws-authorize'], authorizerEnvironment(this.settings)).function,
      connectFunction: realtimeFunction(REALTIME_FUNCTIONS['ws-connect']).function,
      disconnectFunction: realtimeFunction(REALTIME_FUNCTIONS['ws-disconnect']).function,
      messageRoutes: WEBSOCKET_ROUTES.map((route) => ({
        routeKey: route.routeKey,
        function: realtimeFunction(REALTIME_FUNCTIONS[route.handler]).function,
      })),
      stageName: this.settings.webSocketStageName,
      // No separate context keys: both APIs take the same throttle settings.
      throttleRateLimit: this.settings.throttleRateLimit,
      throttleBurstLimit: this.settings.throttleBurstLimit,
    });

    this.eventBus = new EventBus(this, 'IntegrationEventBus', {
      eventBusName: `${this.stackName}-integration-events`,
      description:
        'Integration events of the communication layer: post published, updated and deleted; message created, updated and deleted; topic updated.',
    });

    const streamConsumers: CreatedStreamConsumer[] = STREAM_CONSUMERS.map((definition) => ({
      definition,
      name: toPascalCase(definition.handler),
      function: realtimeFunction(REALTIME_FUNCTIONS[definition.handler]),
    }));
    const workerFunction = realtimeFunction(REALTIME_FUNCTIONS['fanout-worker']);
    this.fanout = new StreamFanout(this, 'Delivery', {
      consumers: streamConsumers.map(({ definition, name, function: consumer }) => ({
        name,
        tables: definition.tables.map((id) => this.tables.get(id).table),
        function: consumer.function,
      })),
      workerFunction: workerFunction.function,
      webSocketStage: this.webSocketApi.stage,
      eventBus: this.eventBus,
    });
    this.realtimeFunctions = realtimeFunctions;

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `${this.stackName} alarms`,
      enforceSSL: true,
    });
    if (this.settings.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new EmailSubscription(this.settings.alarmEmail));
    }
    this.alarms = this.createAlarms(streamConsumers, workerFunction);
    this.dashboard = new CommDashboard(this, 'Dashboard', {
      resources: this.alarms.resources,
      alarms: this.alarms.alarms,
      accessProviderFailures: this.alarms.accessProviderFailures,
    });

    this.createOutputs();
  }

  /**
   * Creates the alarms over the HTTP and WebSocket APIs, every route
   * function, the stream consumers, the fan-out worker and queues, and the
   * access provider.
   */
  private createAlarms(streamConsumers: readonly CreatedStreamConsumer[], workerFunction: RealtimeFunction): CommAlarms {
    const monitored = (handler: string, source: RouteFunction | RealtimeFunction): MonitoredFunction => ({
      handler,
      function: source.function,
      logGroup: source.logGroup,
    });

    const routeFunctions = this.functions.map((routeFunction) => monitored(routeFunction.route.handler, routeFunction));
    const accessCheckRoutes = this.functions.filter((routeFunction) => checksAccess(routeFunction.route));
    const accessCheckRealtime = [...this.realtimeFunctions.values()].filter(({ definition }) => definition.checksAccess);
    const accessCheckFunctions = [
      ...accessCheckRoutes.map((routeFunction) => monitored(routeFunction.route.handler, routeFunction)),
      ...accessCheckRealtime.map((realtimeFunction) => monitored(realtimeFunction.definition.handler, realtimeFunction)),
    ];
    const monitoredConsumers: MonitoredStreamConsumer[] = streamConsumers.map(({ definition, name, function: consumer }) => ({
      alarmPrefix: definition.alarmPrefix,
      label: definition.label,
      function: consumer.function,
      deadLetterQueue: this.fanout.streamDeadLetterQueue(name),
    }));

    return new CommAlarms(this, 'Alarms', {
      topic: this.alarmTopic,
      resources: {
        httpApi: this.httpApi.api,
        webSocketStage: this.webSocketApi.stage,
        routeFunctions,
        streamConsumers: monitoredConsumers,
        workerFunction: workerFunction.function,
        accessCheckFunctions,
        fanoutQueue: this.fanout.fanoutQueue,
        fanoutDeadLetterQueue: this.fanout.fanoutDeadLetterQueue,
      },
    });
  }

  /**
   * Builds the provider settings for the functions that check access. With
   * `accessProviderUrl` set, it also creates the shared secret that signs
   * requests to that provider.
   */
  private createAccessProvider(): AccessProviderBinding {
    const environment: Record<string, string> = {
      ACCESS_PROVIDER_TIMEOUT_MS: String(this.settings.accessProviderTimeoutMs),
      ACCESS_PROVIDER_CACHE_SECONDS: String(this.settings.accessProviderCacheSeconds),
    };
    if (this.settings.accessProviderUrl === undefined) return { environment };

    // A generated value, so no secret ever sits in the template or the
    // repository. The platform team copies it to the provider, or replaces
    // it with `aws secretsmanager put-secret-value`.
    const secret = new Secret(this, 'AccessProviderSecret', {
      description: `Shared secret that signs requests to the access provider at ${this.settings.accessProviderUrl}`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnOutput(this, 'AccessProviderSecretArn', { value: secret.secretArn });

    return {
      environment: {
        ...environment,
        ACCESS_PROVIDER_URL: this.settings.accessProviderUrl,
        ACCESS_PROVIDER_SECRET_ARN: secret.secretArn,
      },
      secret,
    };
  }

  private createOutputs(): void {
    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.url });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketApi.url });
    new CfnOutput(this, 'WebSocketManagementEndpoint', { value: this.webSocketApi.managementEndpoint });
    new CfnOutput(this, 'IntegrationEventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'IntegrationEventBusArn', { value: this.eventBus.eventBusArn });
    new CfnOutput(this, 'MediaBucketName', { value: this.media.bucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });

    for (const { definition, table } of this.tables.all) {
      new CfnOutput(this, `${toPascalCase(definition.id)}TableName`, { value: table.tableName });
    }
  }
}
