import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambdas/domain/errors.js';
import {
  canonicalJson,
  idempotencyRecordId,
  isExpired,
  parseIdempotencyKey,
  requestHash,
  type IdempotencyScope,
} from '../../lambdas/domain/idempotency.js';

describe('canonicalJson', () => {
  it.each([
    { case: 'sorts keys', value: { b: 1, a: 2 }, expected: '{"a":2,"b":1}' },
    {
      case: 'sorts nested keys',
      value: { z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null },
      expected: '{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}',
    },
    { case: 'keeps array order', value: [3, 1, 2], expected: '[3,1,2]' },
    { case: 'drops undefined fields', value: { a: undefined, b: 1 }, expected: '{"b":1}' },
    { case: 'escapes strings', value: { 'k"': 'line\nbreak' }, expected: '{"k\\"":"line\\nbreak"}' },
    { case: 'sorts by code unit', value: { b: 1, B: 2, _: 3 }, expected: '{"B":2,"_":3,"b":1}' },
    { case: 'empty object', value: {}, expected: '{}' },
    { case: 'string', value: 'text', expected: '"text"' },
    { case: 'null', value: null, expected: 'null' },
  ])('$case', ({ value, expected }) => {
    const json = canonicalJson(value);

    expect(json).toBe(expected);
  });

  it('ignores key order at every depth', () => {
    const first = { title: 'Signals', access_policy: { keep_archive_after_lapse: true, initial_backfill_days: null }, tags: [{ b: 1, a: 2 }] };
    const second = { tags: [{ a: 2, b: 1 }], access_policy: { initial_backfill_days: null, keep_archive_after_lapse: true }, title: 'Signals' };

    expect(canonicalJson(first)).toBe(canonicalJson(second));
  });
});

describe('requestHash', () => {
  it.each([
    { case: 'flat payload', payload: { body_text: 'hello' }, expected: 'cc8597adc15c07657aa9c318bcc48bf415a11ccdfbcc9e4df7a7ebf08fb0c912' },
    { case: 'reordered nested payload', payload: { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }, expected: 'd160c1d18d8e9652389a7e5bfcb5f257751caeb73d2b081b92652271e90ca1b8' },
  ])('$case', ({ payload, expected }) => {
    const hash = requestHash(payload);

    expect(hash).toBe(expected);
  });

  it('differs for another payload', () => {
    expect(requestHash({ body_text: 'hello' })).not.toBe(requestHash({ body_text: 'hello!' }));
  });
});

describe('parseIdempotencyKey', () => {
  it.each([
    { case: 'absent', raw: undefined, expected: undefined },
    { case: 'one character', raw: 'a', expected: 'a' },
    { case: '255 characters', raw: 'k'.repeat(255), expected: 'k'.repeat(255) },
    { case: 'space and tilde', raw: ' ~', expected: ' ~' },
    { case: 'uuid', raw: '3f2b7c1e-8d4a-4f6b-9c2e-1a5d7e9f0b3c', expected: '3f2b7c1e-8d4a-4f6b-9c2e-1a5d7e9f0b3c' },
  ])('accepts $case', ({ raw, expected }) => {
    const key = parseIdempotencyKey(raw);

    expect(key).toBe(expected);
  });

  it.each([
    { case: 'empty', raw: '' },
    { case: '256 characters', raw: 'k'.repeat(256) },
    { case: 'tab', raw: 'key\tvalue' },
    { case: 'trailing newline', raw: 'key\n' },
    { case: 'unit separator', raw: 'key\x1f' },
    { case: 'DEL', raw: 'key\x7f' },
    { case: 'non-ASCII', raw: 'clé' },
  ])('rejects $case', ({ raw }) => {
    const parse = () => parseIdempotencyKey(raw);

    expect(parse).toThrow(InvalidRequestError);
    expect(parse).toThrow('Idempotency-Key: must be 1 to 255 printable ASCII characters');
    expect(catchError(parse)).toMatchObject({ field: 'Idempotency-Key', status: 400, code: 'invalid_request' });
  });
});

describe('isExpired', () => {
  const createdAt = Date.parse('2025-03-01T00:00:00.000Z');

  it.each([
    { now: '2025-03-01T00:00:00.000Z', expired: false },
    { now: '2025-03-01T23:59:59.999Z', expired: false },
    { now: '2025-03-02T00:00:00.000Z', expired: true },
    { now: '2025-03-05T00:00:00.000Z', expired: true },
  ])('at $now is $expired', ({ now, expired }) => {
    const result = isExpired({ createdAt }, Date.parse(now));

    expect(result).toBe(expired);
  });
});

describe('idempotencyRecordId', () => {
  const scope: IdempotencyScope = { actorId: 'admin-1', operation: 'publish-post', targetId: 'ch_1' };

  it('is a SHA-256 hex digest', () => {
    expect(idempotencyRecordId(scope, 'key-1')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable for one scope and key', () => {
    expect(idempotencyRecordId({ ...scope }, 'key-1')).toBe(idempotencyRecordId(scope, 'key-1'));
  });

  it.each([
    { case: 'another actor', other: { ...scope, actorId: 'admin-2' }, key: 'key-1' },
    { case: 'another operation', other: { ...scope, operation: 'import-post' }, key: 'key-1' },
    { case: 'another target', other: { ...scope, targetId: 'ch_2' }, key: 'key-1' },
    { case: 'another key', other: scope, key: 'key-2' },
  ])('differs for $case', ({ other, key }) => {
    expect(idempotencyRecordId(other, key)).not.toBe(idempotencyRecordId(scope, 'key-1'));
  });

  it('keeps field boundaries', () => {
    const glued = idempotencyRecordId({ actorId: 'a:b', operation: 'c', targetId: 'd' }, 'k');
    const split = idempotencyRecordId({ actorId: 'a', operation: 'b:c', targetId: 'd' }, 'k');

    expect(glued).not.toBe(split);
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}
