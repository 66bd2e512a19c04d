import { TABLES, type TableId } from '../lib/table-definitions.js';
import type { RoleSettings } from './domain/identity.js';

export type TableNames = Record<TableId, string>;

export type AccessProviderConfig =
  | { readonly kind: 'builtin' }
  | {
      readonly kind: 'http';
      readonly url: string;
      /** Request timeout; the provider fails closed after it. @default 1000 */
      readonly timeoutMs: number;
      /** Longest a decision is cached; never past a window edge. @default 30 */
      readonly cacheSeconds: number;
      /** Secrets Manager secret holding the shared signing secret. */
      readonly secretArn?: string;
      /** Consecutive failures that open the circuit breaker; 0 turns it off. @default 5 */
      readonly circuitFailureThreshold: number;
    };

/** Forum posting limits; see docs/forums.md. */
export interface ForumSettings {
  /** How long after `created_at` an author may edit a message. @default 48 hours */
  readonly editWindowMs: number;
  /** Messages and topics one user may write per window, across all forums; 0 turns the limit off. @default 10 */
  readonly rateLimitMessages: number;
  /** Length of the fixed rate-limit window. @default 60 s */
  readonly rateLimitWindowMs: number;
}

export interface AppConfig {
  readonly tables: TableNames;
  readonly roles: RoleSettings;
  readonly accessProvider: AccessProviderConfig;
  readonly forums: ForumSettings;
}

export type Environment = Record<string, string | undefined>;

/**
 * Reads the configuration once, failing fast with the variable's name. The
 * CDK stack and the local stack set the same variables.
 */
export function readConfig(env: Environment): AppConfig {
  const tables = Object.fromEntries(TABLES.map((table) => [table.id, env[table.envVar] ?? ''])) as TableNames;
  const roles: RoleSettings = {
    roleClaim: env.ROLE_CLAIM || 'cognito:groups',
    adminGroup: env.ADMIN_GROUP || 'comm-admin',
    moderatorGroup: env.MODERATOR_GROUP || 'comm-moderator',
  };

  const providerUrl = env.ACCESS_PROVIDER_URL;
  const accessProvider: AccessProviderConfig = providerUrl
    ? {
        kind: 'http',
        url: providerUrl,
        timeoutMs: positiveInteger(env, 'ACCESS_PROVIDER_TIMEOUT_MS', 1000),
        cacheSeconds: positiveInteger(env, 'ACCESS_PROVIDER_CACHE_SECONDS', 30),
        secretArn: env.ACCESS_PROVIDER_SECRET_ARN || undefined,
        circuitFailureThreshold: nonNegativeInteger(env, 'ACCESS_PROVIDER_CIRCUIT_FAILURES', 5),
      }
    : { kind: 'builtin' };

  const forums: ForumSettings = {
    editWindowMs: positiveInteger(env, 'FORUM_EDIT_WINDOW_HOURS', 48) * 60 * 60 * 1000,
    rateLimitMessages: nonNegativeInteger(env, 'FORUM_RATE_LIMIT_MESSAGES', 10),
    rateLimitWindowMs: positiveInteger(env, 'FORUM_RATE_LIMIT_WINDOW_SECONDS', 60) * 1000,
  };

  return { tables, roles, accessProvider, forums };
}

/** Returns the names of tables the function may use, failing when one it needs is missing. */
export function requireTables(config: AppConfig, ids: readonly TableId[]): void {
  for (const id of ids) {
    if (!config.tables[id]) {
      const envVar = TABLES.find((table) => table.id === id)?.envVar;
      throw new Error(`Missing environment variable ${envVar}: set it to the name of the ${id} table`);
    }
  }
}

function nonNegativeInteger(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`Invalid environment variable ${name}="${raw}": expected a non-negative integer`);
  }
  return value;
}

function positiveInteger(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`Invalid environment variable ${name}="${raw}": expected a positive integer`);
  }
  return value;
}
