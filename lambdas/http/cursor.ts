import { InvalidRequestError } from '../domain/errors.js';

/**
 * Opaque page cursors: a DynamoDB continuation key as base64url JSON. A
 * cursor is decoded only into the string attributes the route expects, so
 * a forged one cannot steer a query anywhere else.
 */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key === undefined ? null : Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Maximum length of a cursor attribute value; the keys of this API are far shorter. */
const MAX_VALUE_LENGTH = 512;

/**
 * Decodes a cursor whose attributes all belong to `attributes` and are
 * non-empty strings, because DynamoDB rejects an empty key value. Anything
 * else is a 400 naming `cursor`.
 */
export function decodeCursor(cursor: string, attributes: ReadonlySet<string>): Record<string, string> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const valid =
    decoded !== null &&
    typeof decoded === 'object' &&
    !Array.isArray(decoded) &&
    Object.keys(decoded).length > 0 &&
    Object.entries(decoded).every(
      ([key, value]) => attributes.has(key) && typeof value === 'string' && value.length > 0 && value.length <= MAX_VALUE_LENGTH,
    );
  if (!valid) throw invalidCursor();
  return decoded as Record<string, string>;
}

export function invalidCursor(): InvalidRequestError {
  return new InvalidRequestError('cursor', 'must be the next_cursor of a previous page');
}
