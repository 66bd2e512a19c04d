import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ROUTES } from '../lib/routes.js';
import { createApp, type App } from '../lambdas/app.js';
import type { TableNames } from '../lambdas/config.js';
import { createHttpHandler, type RouteHandler } from '../lambdas/http/handler.js';
import { createLogger, type LogLevel } from '../lambdas/logger.js';
import { ADMIN_GROUP, DEFAULT_ROLE_CLAIM, LOCAL_AUDIENCE, LOCAL_ISSUER, MODERATOR_GROUP } from './auth-config.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { createHttpGateway, type HttpLambda, type LocalRoute } from './http-gateway.js';
import { createJwtAuthorizer } from '../lambdas/auth/jwt-authorizer.js';
import { jwksOf, loadOrCreateSigningKey, type SigningKey } from './signing-key.js';
import { createTables, localTableNames, tableEnvironment } from './tables.js';

export interface LocalStackOptions {
  /** Port of the HTTP API; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Where tables and the signing key live. @default '.local' */
  readonly dataDir?: string;
  /** Keep tables in memory (the signing key still lives in dataDir). @default false */
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
  /** Extra environment for the handlers, e.g. ACCESS_PROVIDER_TIMEOUT_MS. */
  readonly environment?: Record<string, string>;
}

export interface LocalStack {
  readonly url: string;
  readonly port: number;
  readonly app: App;
  /** The document client handlers use; tests attach middleware to count requests. */
  readonly db: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly dynamoEndpoint: string;
  readonly signingKey: SigningKey;
  stop(): Promise<void>;
}

/**
 * Starts the layer offline with the same handler code as in Lambda:
 * DynamoDB Local with tables from the shared definitions, the local JWT
 * authorizer with its signing key, and the HTTP gateway.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = options.dataDir ?? '.local';
  const logger = createLogger(options.logLevel ?? 'info', { component: 'local-stack' });
  const signingKey = await loadOrCreateSigningKey(dataDir);

  let dynamo: DynamoDbLocal | undefined;
  const dynamoEndpoint =
    options.dynamoEndpoint ?? (dynamo = await startDynamoDbLocal(options.inMemory ? {} : { dataDir: join(dataDir, 'dynamodb') })).endpoint;

  try {
    const client = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const tables = localTableNames(options.tablePrefix ?? 'local');
    await createTables(client, tables);

    const environment: Record<string, string> = {
      ...tableEnvironment(tables),
      ROLE_CLAIM: DEFAULT_ROLE_CLAIM,
      ADMIN_GROUP,
      MODERATOR_GROUP,
      ...(options.accessProviderUrl && { ACCESS_PROVIDER_URL: options.accessProviderUrl }),
      ...options.environment,
    };
    const app = await createApp(environment, {
      db,
      logger: createLogger(options.logLevel ?? 'info'),
      ...(options.clock && { clock: options.clock }),
      accessProviderSecret: options.accessProviderSecret ?? 'local-provider-secret',
    });

    const routes: LocalRoute[] = await Promise.all(
      ROUTES.map(async (definition) => {
        const module = (await import(`../lambdas/handlers/${definition.handler}.ts`)) as { route: RouteHandler };
        return { definition, handler: createHttpHandler(app, module.route) as unknown as HttpLambda };
      }),
    );

    const jwks = jwksOf(signingKey);
    const authorizer = createJwtAuthorizer({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks });
    const server = createHttpGateway({ routes, authorizer, jwks, logger });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;

    return {
      url: `http://${options.host ?? '127.0.0.1'}:${port}`,
      port,
      app,
      db,
      tables,
      dynamoEndpoint,
      signingKey,
      stop: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        client.destroy();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await dynamo?.stop();
    throw error;
  }
}
