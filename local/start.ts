import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR } from './auth-config.js';
import { DEAD_LETTER_FILE } from './dead-letter-store.js';
import { LOCAL_S3_CREDENTIALS } from './s3-server.js';
import { startLocalStack } from './stack.js';
import { parseCommandLine } from './cli.js';

const USAGE = `Usage: npm start -- [--port 3000] [--host 127.0.0.1] [--data-dir .local] [--in-memory] [--access-provider-url URL]

  --port                 port of the HTTP API, the WebSocket API and @connections (default 3000)
  --host                 interface to listen on (default 127.0.0.1, loopback only)
  --data-dir             folder for the tables, media objects, dead letters and the local signing key (default .local)
  --in-memory            keep tables and dead letters in memory and media in a temporary folder; nothing persists after Ctrl-C
  --access-provider-url  use the HTTP access provider at URL instead of the built-in one;
                         requests are signed with ACCESS_PROVIDER_SECRET (default local-provider-secret)

WS_ALLOWED_ORIGINS (comma-separated) limits the browser origins that may open a WebSocket;
unset, any origin may.
Attachments: MEDIA_BUCKET (default comm-media-local), MEDIA_ALLOWED_TYPES (comma-separated
content types; default common image, audio and video types and PDF), MEDIA_MAX_UPLOAD_BYTES
(default 52428800), MEDIA_URL_SECONDS (download URL lifetime, default 60, at most 300) and
MEDIA_UPLOAD_URL_SECONDS (default 900).
Forums: FORUM_EDIT_WINDOW_HOURS (default 48), FORUM_RATE_LIMIT_MESSAGES (messages per user
and window, default 10, 0 turns the limit off) and FORUM_RATE_LIMIT_WINDOW_SECONDS (default 60).`;

/** Variables passed from this process's environment to the handlers. */
const PASSED_ENVIRONMENT = [
  'WS_ALLOWED_ORIGINS',
  'MEDIA_BUCKET',
  'MEDIA_ALLOWED_TYPES',
  'MEDIA_MAX_UPLOAD_BYTES',
  'MEDIA_URL_SECONDS',
  'MEDIA_UPLOAD_URL_SECONDS',
  'FORUM_EDIT_WINDOW_HOURS',
  'FORUM_RATE_LIMIT_MESSAGES',
  'FORUM_RATE_LIMIT_WINDOW_SECONDS',
] as const;

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
  const options = parseCommandLine(parseOptions, USAGE);
  if (!options) return;

  const stack = await startLocalStack({
    port: options.port,
    host: options.host,
    dataDir: options['data-dir'],
    inMemory: options['in-memory'],
    ...(options['access-provider-url'] && { accessProviderUrl: options['access-provider-url'] }),
    ...(process.env.ACCESS_PROVIDER_SECRET && { accessProviderSecret: process.env.ACCESS_PROVIDER_SECRET }),
    environment: passedEnvironment(),
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
      `  S3           ${stack.s3Url}/${stack.mediaBucket} (path-style; SigV4 with access key ${LOCAL_S3_CREDENTIALS.accessKeyId}, secret ${LOCAL_S3_CREDENTIALS.secretAccessKey})`,
      `  Dead letters ${options['in-memory'] ? 'kept in memory' : join(options['data-dir'], DEAD_LETTER_FILE)}`,
      `  Token        npm run token -- --sub alice [--admin]${options['data-dir'] === DEFAULT_DATA_DIR ? '' : ` --data-dir ${options['data-dir']}`}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Stopping the local stack: ${reason}\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('received SIGINT'));
  process.on('SIGTERM', () => shutdown('received SIGTERM'));
  process.on('SIGHUP', () => shutdown('received SIGHUP'));

  // `kill <npm's pid>` ends npm without signalling this process, which would
  // leave the stack and DynamoDB Local running. Being re-parented means the
  // launcher is gone, so stop too.
  const launcher = process.ppid;
  setInterval(() => {
    if (process.ppid !== launcher) shutdown('the launching process exited');
  }, PARENT_CHECK_INTERVAL_MS).unref();
}

/** How often the stack checks that the process that launched it is still there. */
const PARENT_CHECK_INTERVAL_MS = 1_000;

function passedEnvironment(): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const name of PASSED_ENVIRONMENT) {
    const value = process.env[name];
    if (value) environment[name] = value;
  }
  return environment;
}

main().catch((error: unknown) => {
  process.stderr.write(`Local stack failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
