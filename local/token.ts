/**
 * `npm run token -- --sub alice [--admin] [--moderator] [--ttl 3600] [--data-dir .local]`
 * prints one JWT that the local stack accepts, alone on stdout. Usage errors
 * exit with code 2, other failures with code 1, and both write only to stderr.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { ADMIN_GROUP, DEFAULT_DATA_DIR, DEFAULT_ROLE_CLAIM, MODERATOR_GROUP } from './auth-config.js';
import { DEFAULT_TOKEN_TTL_SECONDS, loadOrCreateSigningKey, signingKeyPath, signToken } from './signing-key.js';

const EXIT_USAGE_ERROR = 2;
const EXIT_FAILURE = 1;

const USAGE = `Usage: npm run token -- --sub <user-id> [--admin] [--moderator] [--ttl <seconds>] [--data-dir <dir>]

Prints one JWT, signed with the local stack's key, alone on stdout.

Options:
  --sub <user-id>   User id for the sub claim (required)
  --admin           Add the admin group to the role claim
  --moderator       Add the moderator group to the role claim
  --ttl <seconds>   Token lifetime in seconds (default ${DEFAULT_TOKEN_TTL_SECONDS})
  --data-dir <dir>  Folder holding signing-key.json; use the local stack's --data-dir (default ${DEFAULT_DATA_DIR})
  -h, --help        Print this help

ROLE_CLAIM, ADMIN_GROUP and MODERATOR_GROUP set the claim and group names,
as they do for the handlers (defaults ${DEFAULT_ROLE_CLAIM}, ${ADMIN_GROUP}, ${MODERATOR_GROUP}).
`;

/** Invalid command-line input, with a message that names the option and the fix. */
class UsageError extends Error {}

interface TokenRequest {
  readonly sub: string;
  readonly groups: string[];
  readonly roleClaim: string;
  readonly ttlSeconds: number;
  readonly dataDir: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

function parseTokenRequest(args: string[], env: Environment): TokenRequest | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      sub: { type: 'string' },
      admin: { type: 'boolean', default: false },
      moderator: { type: 'boolean', default: false },
      ttl: { type: 'string' },
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';

  if (values.sub === undefined) throw new UsageError('Missing --sub: pass the user id, as in --sub alice');
  if (values.sub.trim() === '') {
    throw new UsageError(`Invalid --sub "${values.sub}": pass a non-empty user id, as in --sub alice`);
  }

  const ttlSeconds = parseTtl(values.ttl);
  const dataDir = values['data-dir'];
  if (dataDir === '') throw new UsageError('Invalid --data-dir "": pass a folder, as in --data-dir .local');

  // Same variables and fallbacks as readConfig in lambdas/config.ts, so the handlers see the groups.
  const groups = [
    ...(values.admin ? [env.ADMIN_GROUP || ADMIN_GROUP] : []),
    ...(values.moderator ? [env.MODERATOR_GROUP || MODERATOR_GROUP] : []),
  ];
  return { sub: values.sub, groups, roleClaim: env.ROLE_CLAIM || DEFAULT_ROLE_CLAIM, ttlSeconds, dataDir };
}

function parseTtl(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TOKEN_TTL_SECONDS;

  const ttlSeconds = Number(raw);
  const isPositiveInteger = /^[0-9]+$/.test(raw) && Number.isSafeInteger(ttlSeconds) && ttlSeconds > 0;
  if (!isPositiveInteger) {
    throw new UsageError(`Invalid --ttl "${raw}": pass a positive integer number of seconds, as in --ttl 3600`);
  }
  return ttlSeconds;
}

/** True for the TypeError that parseArgs throws on an unknown option, a missing value or a positional argument. */
function isParseArgsError(error: unknown): error is Error {
  return error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_');
}

async function main(): Promise<number> {
  let request: TokenRequest | 'help';
  try {
    request = parseTokenRequest(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError) && !isParseArgsError(error)) throw error;
    process.stderr.write(`${error.message}\nRun npm run token -- --help for the options.\n`);
    return EXIT_USAGE_ERROR;
  }
  if (request === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  const keyPath = signingKeyPath(request.dataDir);
  const keyExisted = existsSync(keyPath);
  // The stack loads this same file even with --in-memory, which drops only table data, so the token stays valid.
  const key = await loadOrCreateSigningKey(request.dataDir);
  if (!keyExisted) {
    process.stderr.write(
      `Created signing key ${keyPath}. A local stack already running with another --data-dir rejects this token.\n`,
    );
  }

  const token = signToken(key, {
    sub: request.sub,
    groups: request.groups,
    roleClaim: request.roleClaim,
    ttlSeconds: request.ttlSeconds,
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

main().then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`Failed to print a token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
