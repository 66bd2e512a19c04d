import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

/** Default stack name when the `stackName` context key is absent. */
export const DEFAULT_STACK_NAME = 'CommLayer';

/** Lambda timeout of the shortest (read) route functions, in seconds; the provider timeout must fit inside it. */
export const FUNCTION_TIMEOUT_SECONDS = 10;

/** Download URLs live at most five minutes, so a copied link dies quickly. The media functions reject a longer MEDIA_URL_SECONDS at start-up. */
export const MAX_MEDIA_URL_SECONDS = 300;

/** S3 accepts at most 5 GiB in one PUT, and uploads are single presigned PUTs. */
export const MAX_MEDIA_UPLOAD_BYTES = 5 * 1024 ** 3;

/** A SigV4 presigned URL is valid for at most 7 days. */
export const MAX_PRESIGNED_URL_SECONDS = 7 * 24 * 60 * 60;

/** Values used when an optional context key is absent. */
export const CONTEXT_DEFAULTS = {
  /** Cognito lists a user's groups in this claim. */
  roleClaim: 'cognito:groups',
  adminGroup: 'comm-admin',
  moderatorGroup: 'comm-moderator',
  /** A provider slower than this fails closed with 503 instead of holding the request. */
  accessProviderTimeoutMs: 1000,
  /** Bounds how long a revoked subscription can still read. */
  accessProviderCacheSeconds: 30,
  /** Steady-state requests per second for the whole stage. */
  throttleRateLimit: 100,
  /** Requests the stage accepts at once before it returns 429. */
  throttleBurstLimit: 200,
  /** Keeps logs long enough to investigate an incident reported weeks later. */
  logRetentionDays: RetentionDays.ONE_MONTH,
  /** Last path segment of the WebSocket URL, `wss://<api>.execute-api.<region>.amazonaws.com/live`. */
  webSocketStageName: 'live',
  /** Images, audio, video and PDF, the files signal and course channels attach. The media functions use the same list when MEDIA_ALLOWED_TYPES is unset. */
  mediaAllowedTypes: [
    'image/jpeg',
    'image/png',
    'image/gif',
    'image/webp',
    'video/mp4',
    'audio/mpeg',
    'audio/mp4',
    'application/pdf',
  ],
  /** 50 MiB, enough for a short video or a long PDF. */
  mediaMaxUploadBytes: 50 * 1024 * 1024,
  /** Long enough to start a download or a stream. A player that seeks after expiry requests a fresh URL. */
  mediaUrlSeconds: 60,
  /** 15 minutes, for a large file on a slow connection. */
  mediaUploadUrlSeconds: 900,
  /** Deleted or overwritten media stays recoverable this long. */
  mediaNoncurrentVersionDays: 30,
  // The forum defaults equal those of lambdas/config.ts, so a handler that
  // runs without the FORUM_* variables (the local stack, a test) applies the same rules.
  forumEditWindowHours: 48,
  forumRateLimitMessages: 10,
  forumRateLimitWindowSeconds: 60,
} as const;

/** Settings of the communication layer, read from CDK context and validated. */
export interface CommSettings {
  /** Issuer (`iss`) that the HTTP API's JWT authorizer and the WebSocket authorizer function accept, as an https URL. */
  readonly jwtIssuer: string;
  /** Accepted audiences (`aud` or `client_id`), at least one. */
  readonly jwtAudience: readonly string[];
  /** HTTPS URL of the issuer's JWKS, from which the WebSocket authorizer function fetches the signing keys. */
  readonly jwtJwksUri: string;
  /** Token claim that lists the caller's roles. */
  readonly roleClaim: string;
  /** Value of the role claim that marks an admin. */
  readonly adminGroup: string;
  /** Value of the role claim that marks a moderator. */
  readonly moderatorGroup: string;
  /** Endpoint of the HTTP access provider. Without it the functions use the built-in provider. */
  readonly accessProviderUrl?: string;
  /** Time limit of one access provider request, in milliseconds. */
  readonly accessProviderTimeoutMs: number;
  /** Lifetime of a cached access decision, in seconds. */
  readonly accessProviderCacheSeconds: number;
  /** Browser origins allowed by CORS. An empty list disables CORS. */
  readonly corsAllowedOrigins: readonly string[];
  /** Stage-wide steady-state limit, in requests per second. */
  readonly throttleRateLimit: number;
  /** Stage-wide burst limit, in requests. */
  readonly throttleBurstLimit: number;
  /** Retention of function and access logs. */
  readonly logRetentionDays: RetentionDays;
  /** Name of the WebSocket API stage, the last segment of its URL. */
  readonly webSocketStageName: string;
  /** Browser origins allowed to open a WebSocket. An empty list allows any origin. */
  readonly webSocketAllowedOrigins: readonly string[];
  /** Content types admins may upload, in lower case. */
  readonly mediaAllowedTypes: readonly string[];
  /** Largest upload, in bytes. */
  readonly mediaMaxUploadBytes: number;
  /** Lifetime of a download URL, in seconds, at most MAX_MEDIA_URL_SECONDS. */
  readonly mediaUrlSeconds: number;
  /** Lifetime of an upload URL, in seconds. */
  readonly mediaUploadUrlSeconds: number;
  /** Browser origins allowed by the media bucket's CORS rule to PUT uploads. An empty list adds no CORS rule. */
  readonly mediaUploadOrigins: readonly string[];
  /** Days after which the media bucket deletes a noncurrent (deleted or overwritten) object version. */
  readonly mediaNoncurrentVersionDays: number;
  /** Address that the alarm topic emails. Without it the topic has no subscription. */
  readonly alarmEmail?: string;
  /** Hours after a message's `created_at` during which its author may edit it. */
  readonly forumEditWindowHours: number;
  /** Messages and topics one user may write per rate-limit window, across all forums. 0 turns the limit off. */
  readonly forumRateLimitMessages: number;
  /** Length of the fixed rate-limit window, in seconds. */
  readonly forumRateLimitWindowSeconds: number;
}

const HOW_TO_SET = 'Set each key under "context" in cdk.json or pass -c KEY=VALUE to cdk.';
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** API Gateway stage names: letters, digits, hyphens and underscores, at most 128 characters. */
const STAGE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** A plain `local@domain.tld` address. The check catches only typos, because SNS confirms the address by email. */
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** A MIME type `type/subtype` of RFC 6838 token characters, without parameters. It excludes the comma, because MEDIA_ALLOWED_TYPES is comma-separated. */
const CONTENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;
const RETENTION_DAYS: ReadonlySet<number> = new Set(
  Object.values(RetentionDays).filter((value): value is number => typeof value === 'number'),
);

/**
 * Reads the stack name from the `stackName` context key.
 *
 * @throws Error naming the key and the accepted form when the value is invalid.
 */
export function readStackName(node: Node): string {
  const value: unknown = node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME;
  if (typeof value === 'string' && STACK_NAME_PATTERN.test(value)) return value;

  throw new Error(
    `Invalid CDK context "stackName": expected a CloudFormation stack name (a letter, then up to 127 letters, digits or hyphens), got ${describe(value)}. Pass -c stackName=NAME or set it under "context" in cdk.json.`,
  );
}

/**
 * Reads and validates every setting of the communication layer from CDK
 * context. Numbers and lists also accept the string form that `-c` passes.
 *
 * @throws Error listing every invalid or missing key, each with the expected
 *   form and the value it got, so one synth reports all problems at once.
 */
export function readCommSettings(node: Node): CommSettings {
  const reader = new ContextReader(node);

  const settings: CommSettings = {
    jwtIssuer: reader.httpsUrl('jwtIssuer'),
    jwtAudience: reader.stringList('jwtAudience', { required: true }),
    jwtJwksUri: reader.httpsUrl('jwtJwksUri'),
    roleClaim: reader.string('roleClaim', CONTEXT_DEFAULTS.roleClaim),
    adminGroup: reader.string('adminGroup', CONTEXT_DEFAULTS.adminGroup),
    moderatorGroup: reader.string('moderatorGroup', CONTEXT_DEFAULTS.moderatorGroup),
    accessProviderUrl: reader.optionalHttpsUrl('accessProviderUrl'),
    accessProviderTimeoutMs: reader.integer('accessProviderTimeoutMs', {
      fallback: CONTEXT_DEFAULTS.accessProviderTimeoutMs,
      min: 1,
      // The function must outlive the provider call to return 503 itself.
      max: FUNCTION_TIMEOUT_SECONDS * 1000 - 1,
    }),
    accessProviderCacheSeconds: reader.integer('accessProviderCacheSeconds', {
      fallback: CONTEXT_DEFAULTS.accessProviderCacheSeconds,
      // The handlers reject 0 when they read ACCESS_PROVIDER_CACHE_SECONDS.
      min: 1,
    }),
    corsAllowedOrigins: reader.origins('corsAllowedOrigins', { allowWildcard: true }),
    throttleRateLimit: reader.positiveNumber('throttleRateLimit', CONTEXT_DEFAULTS.throttleRateLimit),
    throttleBurstLimit: reader.integer('throttleBurstLimit', {
      fallback: CONTEXT_DEFAULTS.throttleBurstLimit,
      min: 1,
    }),
    logRetentionDays: reader.retentionDays('logRetentionDays', CONTEXT_DEFAULTS.logRetentionDays),
    webSocketStageName: reader.stageName('webSocketStageName', CONTEXT_DEFAULTS.webSocketStageName),
    // The authorizer function treats an empty list as "any origin", so "*" is never needed there.
    webSocketAllowedOrigins: reader.origins('webSocketAllowedOrigins', { allowWildcard: false }),
    mediaAllowedTypes: reader.contentTypes('mediaAllowedTypes', CONTEXT_DEFAULTS.mediaAllowedTypes),
    mediaMaxUploadBytes: reader.integer('mediaMaxUploadBytes', {
      fallback: CONTEXT_DEFAULTS.mediaMaxUploadBytes,
      min: 1,
      max: MAX_MEDIA_UPLOAD_BYTES,
    }),
    mediaUrlSeconds: reader.integer('mediaUrlSeconds', {
      fallback: CONTEXT_DEFAULTS.mediaUrlSeconds,
      min: 1,
      max: MAX_MEDIA_URL_SECONDS,
    }),
    mediaUploadUrlSeconds: reader.integer('mediaUploadUrlSeconds', {
      fallback: CONTEXT_DEFAULTS.mediaUploadUrlSeconds,
      min: 1,
      max: MAX_PRESIGNED_URL_SECONDS,
    }),
    // Uploads are signed, so a wildcard lets any page PUT only with a URL the API issued.
    mediaUploadOrigins: reader.origins('mediaUploadOrigins', { allowWildcard: true }),
    mediaNoncurrentVersionDays: reader.integer('mediaNoncurrentVersionDays', {
      fallback: CONTEXT_DEFAULTS.mediaNoncurrentVersionDays,
      min: 1,
    }),
    alarmEmail: reader.optionalEmail('alarmEmail'),
    forumEditWindowHours: reader.integer('forumEditWindowHours', {
      fallback: CONTEXT_DEFAULTS.forumEditWindowHours,
      min: 1,
    }),
    // 0 is allowed here: the handlers read FORUM_RATE_LIMIT_MESSAGES=0 as "no limit".
    forumRateLimitMessages: reader.integer('forumRateLimitMessages', {
      fallback: CONTEXT_DEFAULTS.forumRateLimitMessages,
      min: 0,
    }),
    forumRateLimitWindowSeconds: reader.integer('forumRateLimitWindowSeconds', {
      fallback: CONTEXT_DEFAULTS.forumRateLimitWindowSeconds,
      min: 1,
    }),
  };

  reader.throwIfInvalid();
  return settings;
}

interface IntegerOptions {
  readonly fallback: number;
  readonly min: number;
  readonly max?: number;
}

/** Collects problems across keys so that one error lists all of them. */
class ContextReader {
  private readonly problems: string[] = [];

  constructor(private readonly node: Node) {}

  string(key: string, fallback: string): string {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) return fallback;
    if (typeof value === 'string' && value.trim() !== '') return value;

    this.reject(key, 'a non-empty string', value);
    return fallback;
  }

  httpsUrl(key: string): string {
    const value = this.optionalHttpsUrl(key);
    if (value === undefined && this.node.tryGetContext(key) === undefined) {
      this.problems.push(`"${key}" is missing: expected an https URL.`);
    }
    return value ?? '';
  }

  optionalHttpsUrl(key: string): string | undefined {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) return undefined;

    const url = typeof value === 'string' ? parseUrl(value) : undefined;
    const isHttpsWithoutExtras = url?.protocol === 'https:' && url.search === '' && url.hash === '';
    if (typeof value === 'string' && isHttpsWithoutExtras) return value;

    this.reject(key, 'an https URL without query or fragment', value);
    return undefined;
  }

  optionalEmail(key: string): string | undefined {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) return undefined;
    if (typeof value === 'string' && EMAIL_PATTERN.test(value)) return value;

    this.reject(key, 'an email address such as "oncall@example.com"', value);
    return undefined;
  }

  stringList(key: string, options: { readonly required: boolean }): string[] {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) {
      if (options.required) this.problems.push(`"${key}" is missing: expected a string or an array of strings.`);
      return [];
    }

    const list = toStringList(value);
    if (list !== undefined && list.every((item) => item.trim() !== '') && (list.length > 0 || !options.required)) {
      return list;
    }

    const expected = options.required ? 'a non-empty string or a non-empty array of non-empty strings' : 'an array of non-empty strings';
    this.reject(key, expected, value);
    return [];
  }

  origins(key: string, options: { readonly allowWildcard: boolean }): string[] {
    const origins = this.stringList(key, { required: false });
    const invalid = origins.filter((origin) => !isAllowedOrigin(origin, options.allowWildcard));
    const wildcardWithOthers = origins.includes('*') && origins.length > 1;
    if (invalid.length === 0 && !wildcardWithOthers) return origins;

    const originList =
      'a list of origins such as "https://app.example.com" (scheme, host and optional port, no path or trailing slash; http only for localhost)';
    const expected = options.allowWildcard
      ? `either ["*"] or ${originList}`
      : `${originList} without "*" (leave the key unset to allow any origin)`;
    this.reject(key, expected, this.node.tryGetContext(key));
    return [];
  }

  contentTypes(key: string, fallback: readonly string[]): string[] {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) return [...fallback];

    // An empty list is rejected too, because the media functions would read it as "use the default list".
    const types = toStringList(value);
    if (types !== undefined && types.length > 0 && types.every((type) => CONTENT_TYPE_PATTERN.test(type))) {
      return types.map((type) => type.toLowerCase());
    }

    this.reject(key, 'a non-empty list of content types such as "image/png", without parameters', value);
    return [...fallback];
  }

  stageName(key: string, fallback: string): string {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) return fallback;
    if (typeof value === 'string' && STAGE_NAME_PATTERN.test(value)) return value;

    this.reject(key, 'a stage name of 1 to 128 letters, digits, hyphens or underscores', value);
    return fallback;
  }

  integer(key: string, options: IntegerOptions): number {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) return options.fallback;

    const number = toNumber(value);
    const inRange =
      number !== undefined &&
      Number.isSafeInteger(number) &&
      number >= options.min &&
      (options.max === undefined || number <= options.max);
    if (inRange) return number;

    const range = options.max === undefined ? `at least ${options.min}` : `from ${options.min} to ${options.max}`;
    this.reject(key, `an integer ${range}`, value);
    return options.fallback;
  }

  positiveNumber(key: string, fallback: number): number {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) return fallback;

    const number = toNumber(value);
    if (number !== undefined && number > 0) return number;

    this.reject(key, 'a number greater than 0', value);
    return fallback;
  }

  retentionDays(key: string, fallback: RetentionDays): RetentionDays {
    const value = this.node.tryGetContext(key) as unknown;
    if (value === undefined) return fallback;

    const number = toNumber(value);
    if (number !== undefined && RETENTION_DAYS.has(number)) return number as RetentionDays;

    const allowed = [...RETENTION_DAYS].sort((a, b) => a - b).join(', ');
    this.reject(key, `a CloudWatch Logs retention in days, one of ${allowed}`, value);
    return fallback;
  }

  throwIfInvalid(): void {
    if (this.problems.length === 0) return;

    const list = this.problems.map((problem) => `  - ${problem}`).join('\n');
    throw new Error(`Invalid CDK context for the communication layer stack:\n${list}\n${HOW_TO_SET}`);
  }

  private reject(key: string, expected: string, value: unknown): void {
    this.problems.push(`"${key}" must be ${expected}, got ${describe(value)}.`);
  }
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Accepts an array, a JSON array string or a comma-separated string. */
function toStringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') {
    if (!value.trimStart().startsWith('[')) return value.split(',').map((item) => item.trim());
    try {
      return toStringList(JSON.parse(value) as unknown);
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  return undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

function isAllowedOrigin(origin: string, allowWildcard: boolean): boolean {
  if (origin === '*') return allowWildcard;

  const url = parseUrl(origin);
  if (url === undefined || url.origin !== origin) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
