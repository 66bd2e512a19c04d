import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BuiltinAccessProvider } from './access/builtin-provider.js';
import { HttpAccessProvider } from './access/http-provider.js';
import type { AccessProvider } from './access/provider.js';
import { createDocumentClient } from './adapters/dynamodb.js';
import { readConfig, type AppConfig, type Environment } from './config.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';

/** Everything a handler needs, built once per Lambda instance (or once by the local stack). */
export interface App {
  readonly config: AppConfig;
  readonly db: DynamoDBDocumentClient;
  readonly access: AccessProvider;
  /** Epoch milliseconds; injected so tests can move time. */
  readonly clock: () => number;
  readonly logger: Logger;
}

export interface AppOverrides {
  readonly db?: DynamoDBDocumentClient;
  readonly clock?: () => number;
  readonly logger?: Logger;
  /** The HTTP provider's shared secret when it does not come from Secrets Manager (local stack). */
  readonly accessProviderSecret?: string;
}

/** Builds the App from environment variables, resolving the provider secret from Secrets Manager when configured. */
export async function createApp(env: Environment, overrides: AppOverrides = {}): Promise<App> {
  const config = readConfig(env);
  const db = overrides.db ?? createDocumentClient();
  const clock = overrides.clock ?? Date.now;
  const logger = overrides.logger ?? createLogger((env.LOG_LEVEL as LogLevel | undefined) ?? 'info');

  let access: AccessProvider;
  if (config.accessProvider.kind === 'http') {
    const secret = overrides.accessProviderSecret ?? (await readSecret(config.accessProvider.secretArn));
    access = new HttpAccessProvider({ ...config.accessProvider, secret, clock, logger });
  } else {
    access = new BuiltinAccessProvider(db, config.tables, clock);
  }
  return { config, db, access, clock, logger };
}

async function readSecret(secretArn: string | undefined): Promise<string> {
  if (!secretArn) {
    throw new Error('Missing environment variable ACCESS_PROVIDER_SECRET_ARN: the HTTP access provider needs its shared secret');
  }
  const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error('The access provider secret has no string value; store the shared secret as SecretString');
  return SecretString;
}
