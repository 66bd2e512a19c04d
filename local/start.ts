import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR } from './auth-config.js';
import { DEAD_LETTER_FILE } from './dead-letter-store.js';
import { startLocalStack } from './stack.js';

const USAGE = `Usage: npm start -- [--port 3000] [--host 127.0.0.1] [--data-dir .local] [--in-memory] [--access-provider-url URL]

  --port                 port of the HTTP API, the WebSocket API and @connections (default 3000)
  --host                 interface to listen on (default 127.0.0.1, loopback only)
  --data-dir             folder for the tables, dead letters and the local signing key (default .local)
  --in-memory            keep tables and dead letters in memory; nothing persists after Ctrl-C
  --access-provider-url  use the HTTP access provider at URL instead of the built-in one;
                         requests are signed with ACCESS_PROVIDER_SECRET (default local-provider-secret)

WS_ALLOWED_ORIGINS (comma-separated) limits the browser origins that may open a WebSocket;
unset, any origin may.`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      'in-memory': { type: 'boolean', default: false },
      'access-provider-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`Invalid --port "${values.port}": expected an integer from 0 to 65535`);
  }
  return { ...values, port };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const stack = await startLocalStack({
    port: options.port,
    host: options.host,
    dataDir: options['data-dir'],
    inMemory: options['in-memory'],
    ...(options['access-provider-url'] && { accessProviderUrl: options['access-provider-url'] }),
    ...(process.env.ACCESS_PROVIDER_SECRET && { accessProviderSecret: process.env.ACCESS_PROVIDER_SECRET }),
    ...(process.env.WS_ALLOWED_ORIGINS && { environment: { WS_ALLOWED_ORIGINS: process.env.WS_ALLOWED_ORIGINS } }),
    logLevel: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info',
  });

  const provider = options['access-provider-url'] ? `HTTP provider at ${options['access-provider-url']}` : 'built-in provider';
  process.stdout.write(
    [
      `Local stack running (${options['in-memory'] ? 'in memory' : `data in ${options['data-dir']}`}, ${provider})`,
      `  HTTP API     ${stack.url}/api/...`,
      `  WebSocket    ${stack.wsUrl} (token in the Authorization header or ?token=)`,
      `  @connections ${stack.url}/@connections/{connectionId} (ApiGatewayManagementApiClient endpoint: ${stack.url})`,
      `  JWKS         ${stack.url}/.well-known/jwks.json`,
      `  DynamoDB     ${stack.dynamoEndpoint} (DynamoDB Local listens on all interfaces)`,
      `  Dead letters ${options['in-memory'] ? 'kept in memory' : join(options['data-dir'], DEAD_LETTER_FILE)}`,
      `  Token        npm run token -- --sub alice [--admin]${options['data-dir'] === DEFAULT_DATA_DIR ? '' : ` --data-dir ${options['data-dir']}`}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, stopping the local stack\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Local stack failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
