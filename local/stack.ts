import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ROUTE_SELECTION_EXPRESSION, WEBSOCKET_ROUTES, POSTS_STREAM_SETTINGS } from '../lib/realtime-settings.js';
import { ROUTES } from '../lib/routes.js';
import type { TableId } from '../lib/table-definitions.js';
import { ManagementApiConnections } from '../lambdas/adapters/connections-api.js';
import { InMemoryIntegrationEvents } from '../lambdas/adapters/integration-events.js';
import { createApp, type App, type AppOverrides } from '../lambdas/app.js';
import { createJwtAuthorizer, type JwtAuthorizer } from '../lambdas/auth/jwt-authorizer.js';
import type { TableNames } from '../lambdas/config.js';
import { createMediaClient } from '../lambdas/adapters/media-store.js';
import { readMediaSettings } from '../lambdas/media-config.js';
import { createConnectHandler } from '../lambdas/handlers/ws-connect.js';
import { createDisconnectHandler } from '../lambdas/handlers/ws-disconnect.js';
import { createWebSocketAuthorizer } from '../lambdas/handlers/ws-authorize.js';
import { createForumStreamHandler } from '../lambdas/handlers/stream-forums.js';
import { createStreamHandler } from '../lambdas/handlers/stream-posts.js';
import { createHttpHandler, type RouteHandler } from '../lambdas/http/handler.js';
import { createLogger, errorFields, type Logger, type LogLevel } from '../lambdas/logger.js';
import { createMetrics } from '../lambdas/metrics.js';
import { createWebSocketHandler, type WebSocketRoute } from '../lambdas/realtime/websocket-handler.js';
import { ADMIN_GROUP, DEFAULT_ROLE_CLAIM, LOCAL_AUDIENCE, LOCAL_ISSUER, MODERATOR_GROUP } from './auth-config.js';
import { createConnectionsEndpoint } from './connections-endpoint.js';
import { DEAD_LETTER_FILE, DeadLetterStore, type StreamDeadLetter } from './dead-letter-store.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { createHttpGateway, type HttpLambda, type LocalRoute } from './http-gateway.js';
import { DEFAULT_MEDIA_BUCKET, LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from './s3-server.js';
import { jwksOf, loadOrCreateSigningKey, type SigningKey } from './signing-key.js';
import { startStreamPoller, type StreamHandler, type StreamPollerOptions, type StreamSettings, type StreamSource } from './stream-poller.js';
import { createTables, localTableNames, tableEnvironment } from './tables.js';
import {
  createWebSocketServer,
  type LocalWebSocketServer,
  type LocalWebSocketServerOptions,
  type WebSocketIntegrations,
  type WebSocketLambda,
} from './websocket-server.js';

export interface LocalStackOptions {
  /** Port of the HTTP API; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Directory for tables, media objects (`s3/`), the signing key and dead letters. @default '.local' */
  readonly dataDir?: string;
  /**
   * Keep nothing after stop: tables and dead letters stay in memory, and media objects go to a
   * temporary directory that stop() removes. The signing key still lives in dataDir. @default false
   */
  readonly inMemory?: boolean;
  /** Use the HTTP access provider at this URL instead of the built-in one. */
  readonly accessProviderUrl?: string;
  /** Shared secret for the HTTP provider's request signature. @default 'local-provider-secret' */
  readonly accessProviderSecret?: string;
  /** Reuse a running DynamoDB Local instead of starting one (tests share one). */
  readonly dynamoEndpoint?: string;
  /** Prefix of the table names. @default 'local' */
  readonly tablePrefix?: string;
  /** Epoch-ms clock for handlers; tests move it. @default Date.now */
  readonly clock?: () => number;
  /** @default 'info' */
  readonly logLevel?: LogLevel;
  /**
   * Extra environment for the handlers, e.g. ACCESS_PROVIDER_TIMEOUT_MS or the
   * MEDIA_* settings. MEDIA_BUCKET names the local bucket. @default MEDIA_BUCKET 'comm-media-local'
   */
  readonly environment?: Record<string, string>;
  /** Browser origins allowed to open a WebSocket. A handshake without Origin always passes. @default WS_ALLOWED_ORIGINS of `environment` (comma-separated), and unset allows any origin */
  readonly wsAllowedOrigins?: readonly string[];
  /** WebSocket timeouts and limits, which tests shorten. @default API Gateway's quotas (see createWebSocketServer) */
  readonly webSocket?: Pick<LocalWebSocketServerOptions, 'idleTimeoutMs' | 'maxConnectionAgeMs' | 'keepAliveIntervalMs' | 'maxConnections'>;
  /** Handlers that replace a table's stream function, so tests can inject failures. */
  readonly streamHandlers?: Partial<Record<TableId, StreamHandler>>;
  /** Stream poller timing, which tests shorten. */
  readonly streamPolling?: Pick<StreamPollerOptions, 'pollIntervalMs' | 'shardRefreshIntervalMs' | 'retryBaseDelayMs'>;
}

export interface LocalStack {
  /** Base URL of the HTTP API, also the endpoint for ApiGatewayManagementApiClient. */
  readonly url: string;
  /** WebSocket API URL, `ws://host:port/ws`. */
  readonly wsUrl: string;
  readonly port: number;
  /** The App of the HTTP and WebSocket handlers. The stream functions have their own App, with its own DynamoDB client. */
  readonly app: App;
  /** The document client the HTTP and WebSocket handlers use. Tests attach middleware to it to count requests. */
  readonly db: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly dynamoEndpoint: string;
  /** Endpoint of the local S3 server, `http://127.0.0.1:PORT` (path-style). */
  readonly s3Url: string;
  /** The media bucket, as MEDIA_BUCKET names it. */
  readonly mediaBucket: string;
  /** The local S3 server; tests move its verifier's clock with `setClockOffset`. */
  readonly s3: LocalS3;
  readonly signingKey: SigningKey;
  /** The WebSocket server, with its open connections. */
  readonly webSocket: LocalWebSocketServer;
  /** Integration events the stream handler published, standing in for the EventBridge bus. */
  readonly integrationEvents: InMemoryIntegrationEvents;
  /** Stream records the poller gave up on, oldest first. Unless in memory, they are also appended to `<dataDir>/dead-letters.jsonl`. */
  readonly deadLetters: readonly StreamDeadLetter[];
  stop(): Promise<void>;
}

/** A table stream and the function it triggers, as the CDK stack's event source mappings configure them. */
interface StreamFunction {
  readonly tableId: TableId;
  readonly functionName: string;
  readonly settings: StreamSettings;
  /** NOTE: keep equal to the stream function's Lambda timeout in the CDK stack. */
  readonly timeoutSeconds: number;
  readonly createHandler: (app: App) => StreamHandler;
}

/**
 * One entry per event source mapping. The forum function has two: the
 * topics and the messages streams feed the same handler, with the posts
 * stream's settings.
 */
const STREAM_FUNCTIONS: readonly StreamFunction[] = [
  { tableId: 'posts', functionName: 'stream-posts', settings: POSTS_STREAM_SETTINGS, timeoutSeconds: 60, createHandler: (app) => createStreamHandler(app) },
  { tableId: 'topics', functionName: 'stream-forums', settings: POSTS_STREAM_SETTINGS, timeoutSeconds: 60, createHandler: (app) => createForumStreamHandler(app) },
  { tableId: 'messages', functionName: 'stream-forums', settings: POSTS_STREAM_SETTINGS, timeoutSeconds: 60, createHandler: (app) => createForumStreamHandler(app) },
];

/**
 * A table created less than this long before start-up counts as created by
 * this run. It absorbs clock rounding between Node and DynamoDB Local,
 * and a previous run cannot have created a table that recently.
 */
const TABLE_CREATION_SLACK_MS = 1000;

/**
 * Starts the layer offline with the same handler code as in Lambda. It runs
 * DynamoDB Local with tables from the shared definitions, a local S3 server
 * that verifies SigV4 signatures, and the local JWT authorizer with its
 * signing key. One port serves the HTTP gateway, the WebSocket API and its
 * `@connections` endpoint, and the stream poller feeds the stream functions.
 * Invalid configuration, such as MEDIA_URL_SECONDS above 300, rejects before
 * anything starts.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.local');
  const host = options.host ?? '127.0.0.1';
  const logger = createLogger(options.logLevel ?? 'info', { component: 'local-stack' });
  const tables = localTableNames(options.tablePrefix ?? 'local');
  const environment: Record<string, string> = {
    ...tableEnvironment(tables),
    ROLE_CLAIM: DEFAULT_ROLE_CLAIM,
    ADMIN_GROUP,
    MODERATOR_GROUP,
    MEDIA_BUCKET: DEFAULT_MEDIA_BUCKET,
    ...(options.accessProviderUrl && { ACCESS_PROVIDER_URL: options.accessProviderUrl }),
    ...(options.wsAllowedOrigins && { WS_ALLOWED_ORIGINS: options.wsAllowedOrigins.join(',') }),
    ...options.environment,
  };
  // Handlers read the media settings on first use, so they are checked here to fail at start-up instead.
  const mediaSettings = readMediaSettings(environment);
  const signingKey = await loadOrCreateSigningKey(dataDir);

  // Run in reverse order by stop(), or when start-up fails part way.
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping: Promise<void> | undefined;
  const cleanUp = (): Promise<void> => (stopping ??= runCleanups(cleanups, logger));

  try {
    let dynamo: DynamoDbLocal | undefined;
    if (!options.dynamoEndpoint) {
      dynamo = await startDynamoDbLocal(options.inMemory ? {} : { dataDir: join(dataDir, 'dynamodb') });
      cleanups.push(() => dynamo?.stop());
    }
    const dynamoEndpoint = options.dynamoEndpoint ?? dynamo!.endpoint;

    const awsConfig = { endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const client = new DynamoDBClient(awsConfig);
    // The stream functions get their own clients, as separate Lambda functions do, so requests counted on `db` come only from HTTP and WebSocket handlers.
    const streamFunctionsClient = new DynamoDBClient(awsConfig);
    const streamsClient = new DynamoDBStreamsClient(awsConfig);
    cleanups.push(() => client.destroy(), () => streamFunctionsClient.destroy(), () => streamsClient.destroy());
    const db = documentClient(client);
    const startedAt = Date.now();
    await createTables(client, tables);

    const s3 = await startLocalS3({
      bucket: mediaSettings.bucket,
      region: LOCAL_REGION,
      logger,
      ...(!options.inMemory && { directory: join(dataDir, 's3') }),
    });
    cleanups.push(() => s3.stop());
    const mediaClient = createMediaClient({ endpoint: s3.url, forcePathStyle: true, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS });
    cleanups.push(() => mediaClient.destroy());

    let listeningUrl: URL | undefined;
    const managementClient = new ApiGatewayManagementApiClient({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      // The port is known only once the server listens (port 0 picks one), so the endpoint is read on each request.
      endpoint: async () => {
        if (!listeningUrl) throw new Error('The local @connections endpoint is not listening yet');
        return { protocol: listeningUrl.protocol, hostname: listeningUrl.hostname, port: Number(listeningUrl.port), path: '/' };
      },
    });
    cleanups.push(() => managementClient.destroy());

    const integrationEvents = new InMemoryIntegrationEvents();
    const appOverrides: AppOverrides = {
      logger: createLogger(options.logLevel ?? 'info'),
      // Embedded-metric lines would drown the local log; they print at debug level only.
      metrics: createMetrics(options.logLevel === 'debug'),
      ...(options.clock && { clock: options.clock }),
      accessProviderSecret: options.accessProviderSecret ?? 'local-provider-secret',
      realtime: { connections: new ManagementApiConnections(managementClient), events: integrationEvents },
      media: { s3: mediaClient },
    };
    const app = await createApp(environment, { ...appOverrides, db });
    const streamFunctionsApp = await createApp(environment, { ...appOverrides, db: documentClient(streamFunctionsClient) });

    const jwks = jwksOf(signingKey);
    const jwtAuthorizer = createJwtAuthorizer({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks });
    const webSocket = createWebSocketServer({
      integrations: await webSocketIntegrations(app, jwtAuthorizer, splitList(environment.WS_ALLOWED_ORIGINS ?? '')),
      logger,
      ...options.webSocket,
    });
    const server = createHttpGateway({
      routes: await httpRoutes(app),
      authorizer: jwtAuthorizer,
      jwks,
      logger,
      extraHandlers: [createConnectionsEndpoint({ connections: webSocket.connections, logger })],
    });
    server.on('upgrade', webSocket.handleUpgrade);
    cleanups.push(async () => {
      server.closeAllConnections();
      // server.close() passes an error to the callback when the server never listened, which needs no handling.
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    // Upgraded sockets keep server.close() waiting, so the WebSocket server closes first.
    cleanups.push(() => webSocket.close());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${host}:${port}`;
    listeningUrl = new URL(url);

    const deadLetters = new DeadLetterStore({ logger, ...(!options.inMemory && { filePath: join(dataDir, DEAD_LETTER_FILE) }) });
    const sources = await Promise.all(
      STREAM_FUNCTIONS.map(async (stream): Promise<StreamSource> => {
        const tableName = tables[stream.tableId];
        return {
          tableName,
          functionName: stream.functionName,
          handler: options.streamHandlers?.[stream.tableId] ?? stream.createHandler(streamFunctionsApp),
          settings: stream.settings,
          timeoutSeconds: stream.timeoutSeconds,
          startingPosition: await startingPositionFor(streamFunctionsClient, tableName, startedAt),
        };
      }),
    );
    const poller = await startStreamPoller({ dynamodb: streamFunctionsClient, streams: streamsClient, sources, deadLetters, logger, ...options.streamPolling });
    cleanups.push(() => poller.stop());

    return {
      url,
      wsUrl: `ws://${host}:${port}/ws`,
      port,
      app,
      db,
      tables,
      dynamoEndpoint,
      s3Url: s3.url,
      mediaBucket: mediaSettings.bucket,
      s3,
      signingKey,
      webSocket,
      integrationEvents,
      deadLetters: deadLetters.deadLetters,
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

async function httpRoutes(app: App): Promise<LocalRoute[]> {
  return Promise.all(
    ROUTES.map(async (definition) => {
      const module = (await import(`../lambdas/handlers/${definition.handler}.ts`)) as { route: RouteHandler };
      return { definition, handler: createHttpHandler(app, module.route) as unknown as HttpLambda };
    }),
  );
}

/** Builds the WebSocket API's functions: the `$connect` authorizer, `$connect`, `$disconnect` and the message routes. */
async function webSocketIntegrations(app: App, jwt: JwtAuthorizer, allowedOrigins: readonly string[]): Promise<WebSocketIntegrations> {
  const routes = new Map<string, WebSocketLambda>(
    await Promise.all(
      WEBSOCKET_ROUTES.map(async ({ routeKey, handler }) => {
        const module = (await import(`../lambdas/handlers/${handler}.ts`)) as { route: WebSocketRoute };
        return [routeKey, createWebSocketHandler(app, module.route)] as const;
      }),
    ),
  );
  return {
    authorizer: createWebSocketAuthorizer({ jwt, roles: app.config.roles, allowedOrigins, logger: app.logger }),
    connect: createConnectHandler(app),
    disconnect: createDisconnectHandler(app),
    routes,
    routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
  };
}

/**
 * Picks where the poller starts reading a table's stream. A table created
 * by this run is read from TRIM_HORIZON, so no record is missed. A table
 * from a persisted data dir is read from LATEST, because no checkpoint
 * survives a restart: records written before start-up are not delivered
 * again, and any the previous run had not processed are skipped.
 */
async function startingPositionFor(client: DynamoDBClient, tableName: string, startedAt: number): Promise<'TRIM_HORIZON' | 'LATEST'> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const createdAt = Table?.CreationDateTime?.getTime() ?? 0;
  return createdAt >= startedAt - TABLE_CREATION_SLACK_MS ? 'TRIM_HORIZON' : 'LATEST';
}

/** Runs every cleanup, last added first, even when one fails. Then it throws the first failure. */
async function runCleanups(cleanups: readonly (() => Promise<void> | void)[], logger: Logger): Promise<void> {
  let firstError: unknown;
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (error) {
      logger.error('Stopping part of the local stack failed', errorFields(error));
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
