import { createHash } from 'node:crypto';
import { InvalidRequestError } from './errors.js';

/** Records replay responses for 24 hours. Expiry is checked on read, because DynamoDB TTL deletes late. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** 1 to 255 printable ASCII characters (0x20 to 0x7E). */
const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Who, where and what a key is scoped to: the same key from another actor or for another channel is a new request. */
export interface IdempotencyScope {
  readonly actorId: string;
  /** Stable operation name, e.g. `publish-post`. */
  readonly operation: string;
  /** Channel or topic id, or `-` for operations without a target. */
  readonly targetId: string;
}

/** A stored outcome, replayed verbatim for the same key and payload. */
export interface IdempotencyRecord {
  readonly recordId: string;
  readonly requestHash: string;
  readonly status: number;
  readonly body: unknown;
  readonly createdAt: number;
}

/** Validates a raw header value; returns undefined when the header is absent. */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(raw)) {
    throw new InvalidRequestError('Idempotency-Key', 'must be 1 to 255 printable ASCII characters');
  }
  return raw;
}

/** Returns the record's primary key: a hash, so long keys and ids never exceed key size limits. */
export function idempotencyRecordId(scope: IdempotencyScope, key: string): string {
  return sha256Hex(JSON.stringify([scope.actorId, scope.operation, scope.targetId, key]));
}

/** SHA-256 of the canonical JSON of the request payload. */
export function requestHash(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}

export function isExpired(record: Pick<IdempotencyRecord, 'createdAt'>, now: number): boolean {
  return now - record.createdAt >= IDEMPOTENCY_TTL_MS;
}

/** JSON with object keys sorted at every depth, so equal payloads hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;

  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => compareStrings(a, b));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Orders strings by UTF-16 code units, as JSON object keys compare, independent of locale. */
function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
