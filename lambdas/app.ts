import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './adapters/dynamodb.js';
import { readConfig, type AppConfig, type Environment } from './config.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { RealtimeOverrides } from './realtime/realtime.js';

/**
 * Everything a handler needs, built once per Lambda instance (or once by the
 * local stack). The access provider and the realtime adapters are built on
 * first use (see `accessProviderFor` and `realtimeFor`), so a function that
 * never checks access or sends frames does not bundle their SDK clients.
 */
export interface App {
  readonly config: AppConfig;
  readonly db: DynamoDBDocumentClient;
  /** Epoch milliseconds; injected so tests can move time. */
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The environment the App was built from. */
  readonly env: Environment;
  /** The HTTP provider's shared secret when it does not come from Secrets Manager (local stack). */
  readonly accessProviderSecret?: string;
  readonly realtimeOverrides?: RealtimeOverrides;
  readonly mediaOverrides?: MediaOverrides;
}

/** Local stand-ins for the media bucket's client (a local S3 endpoint). */
export interface MediaOverrides {
  readonly s3?: S3Client;
}

export interface AppOverrides {
  readonly db?: DynamoDBDocumentClient;
  readonly clock?: () => number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly accessProviderSecret?: string;
  /** Local stand-ins for @connections, EventBridge and the fan-out queue. */
  readonly realtime?: RealtimeOverrides;
  readonly media?: MediaOverrides;
}

/** Builds the App from environment variables, failing fast on invalid configuration. */
export async function createApp(env: Environment, overrides: AppOverrides = {}): Promise<App> {
  return {
    config: readConfig(env),
    db: overrides.db ?? createDocumentClient(),
    clock: overrides.clock ?? Date.now,
    logger: overrides.logger ?? createLogger((env.LOG_LEVEL as LogLevel | undefined) ?? 'info'),
    metrics: overrides.metrics ?? createMetrics(),
    env,
    ...(overrides.accessProviderSecret !== undefined && { accessProviderSecret: overrides.accessProviderSecret }),
    ...(overrides.realtime && { realtimeOverrides: overrides.realtime }),
    ...(overrides.media && { mediaOverrides: overrides.media }),
  };
}

/** An App, or a factory that builds it (from the environment, in Lambda). */
export type AppSource = App | (() => Promise<App>);

/** Returns a function that resolves the App once and then reuses it for every invocation. */
export function appResolver(source: AppSource): () => Promise<App> {
  let promise: Promise<App> | undefined;
  return () => (promise ??= typeof source === 'function' ? source() : Promise.resolve(source));
}
