import { createPublicKey, createSecretKey, createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ADMIN_GROUP, LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/auth-config.js';
import { createJwtAuthorizer, type JwtAuthorizer } from '../../lambdas/auth/jwt-authorizer.js';
import {
  generateSigningKey,
  jwksOf,
  signJwt,
  signToken,
  type SigningKey,
  type TokenOptions,
} from '../../local/signing-key.js';

/** The clock is frozen here, so time claims and the messages quoting them are fixed. */
const NOW = new Date('2026-12-04T12:00:00.000Z');
const NOW_SECONDS = 1_796_385_600;

let key: SigningKey;
let otherKey: SigningKey;
let authorizer: JwtAuthorizer;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  [key, otherKey] = await Promise.all([generateSigningKey(), generateSigningKey()]);
  authorizer = createJwtAuthorizer({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks: jwksOf(key) });
});

afterAll(() => {
  vi.useRealTimers();
});

/** Signs the baseline every case starts from, a token the authorizer accepts. */
function validToken(overrides: Partial<TokenOptions> = {}, signingKey: SigningKey = key): string {
  return signToken(signingKey, { sub: 'alice', groups: [ADMIN_GROUP], ...overrides });
}

function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> {
  const segment = token.split('.')[index] ?? '';
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function encodeSegment(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function rs256Signature(signingInput: string): string {
  return createSign('RSA-SHA256').update(signingInput).sign(key.privateKey, 'base64url');
}

describe('createJwtAuthorizer', () => {
  it('accepts a valid token and flattens its claims', async () => {
    const token = validToken();

    const result = await authorizer.authorize(`Bearer ${token}`);

    expect(result).toEqual({
      ok: true,
      claims: {
        iss: LOCAL_ISSUER,
        sub: 'alice',
        aud: 'comm-api',
        iat: String(NOW_SECONDS),
        nbf: String(NOW_SECONDS),
        exp: String(NOW_SECONDS + 3600),
        'cognito:groups': '[comm-admin]',
      },
      scopes: [],
    });
  });

  it.each([
    { form: 'lower-case scheme', header: (token: string) => `bearer ${token}` },
    { form: 'upper-case scheme', header: (token: string) => `BEARER ${token}` },
    { form: 'extra whitespace', header: (token: string) => `  Bearer   ${token}  ` },
    { form: 'bare token', header: (token: string) => token },
  ])('accepts header form: $form', async ({ header }) => {
    const token = validToken();

    const result = await authorizer.authorize(header(token));

    expect(result.ok).toBe(true);
  });

  it('accepts a token expiring this second', async () => {
    const token = validToken({ issuedAt: NOW_SECONDS - 3600, ttlSeconds: 3600 });

    const result = await authorizer.authorize(`Bearer ${token}`);

    expect(result.ok).toBe(true);
  });

  it('accepts client_id when aud is missing', async () => {
    const token = validToken({ extraClaims: { aud: undefined, client_id: LOCAL_AUDIENCE } });

    const result = await authorizer.authorize(`Bearer ${token}`);

    expect(result).toEqual({
      ok: true,
      claims: {
        iss: LOCAL_ISSUER,
        sub: 'alice',
        client_id: 'comm-api',
        iat: String(NOW_SECONDS),
        nbf: String(NOW_SECONDS),
        exp: String(NOW_SECONDS + 3600),
        'cognito:groups': '[comm-admin]',
      },
      scopes: [],
    });
  });

  it('accepts any configured audience', async () => {
    const multiAudience = createJwtAuthorizer({
      issuer: LOCAL_ISSUER,
      audience: ['admin-console', LOCAL_AUDIENCE],
      jwks: jwksOf(key),
    });
    const token = validToken();

    const result = await multiAudience.authorize(`Bearer ${token}`);

    expect(result.ok).toBe(true);
  });

  it('flattens non-string claim values', async () => {
    const token = validToken({
      groups: [],
      extraClaims: {
        email_verified: true,
        login_count: 42,
        address: { locality: 'Oslo' },
        middle_name: null,
        mixed: ['a', 1, false],
      },
    });

    const result = await authorizer.authorize(`Bearer ${token}`);

    expect(result).toEqual({
      ok: true,
      claims: {
        iss: LOCAL_ISSUER,
        sub: 'alice',
        aud: 'comm-api',
        iat: String(NOW_SECONDS),
        nbf: String(NOW_SECONDS),
        exp: String(NOW_SECONDS + 3600),
        email_verified: 'true',
        login_count: '42',
        address: '{"locality":"Oslo"}',
        middle_name: 'null',
        mixed: '[a 1 false]',
      },
      scopes: [],
    });
  });

  it.each([
    { claim: 'scope string', extraClaims: { scope: 'channels.read channels.write' } },
    { claim: 'scp array', extraClaims: { scp: ['channels.read', 'channels.write'] } },
  ])('reads scopes from $claim', async ({ extraClaims }) => {
    const token = validToken({ extraClaims });

    const result = await authorizer.authorize(`Bearer ${token}`);

    expect(result).toMatchObject({ ok: true, scopes: ['channels.read', 'channels.write'] });
  });

  it('rejects ES256 even when the JWK names no alg', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { x = '', y = '' } = publicKey.export({ format: 'jwk' });
    const ecAuthorizer = createJwtAuthorizer({
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x, y, kid: 'ec-key', use: 'sig' }] },
    });
    const header = encodeSegment({ alg: 'ES256', typ: 'JWT', kid: 'ec-key' });
    const signingInput = `${header}.${encodeSegment(decodeSegment(validToken(), 1))}`;
    const signature = createSign('SHA256').update(signingInput).sign({ key: privateKey, dsaEncoding: 'ieee-p1363' }, 'base64url');

    const result = await ecAuthorizer.authorize(`Bearer ${signingInput}.${signature}`);

    expect(result).toEqual({
      ok: false,
      reason: 'JwtInvalidSignatureAlgorithmError: JWT signature algorithm not allowed: ES256. Expected one of: RS256, RS384, RS512',
    });
  });

  it.each([
    {
      defect: 'missing header',
      header: () => undefined,
      reason: 'Missing Authorization header',
    },
    {
      defect: 'empty header',
      header: () => '',
      reason: 'Missing Authorization header',
    },
    {
      defect: 'Basic scheme',
      header: () => `Basic ${Buffer.from('alice:secret').toString('base64')}`,
      reason: 'Invalid Authorization header: expected "Bearer <token>" or the bare token',
    },
    {
      defect: 'malformed token',
      header: () => 'Bearer not-a-jwt',
      reason: 'JwtParseError: JWT string does not consist of exactly 3 parts (header, payload, signature)',
    },
    {
      defect: 'alg none, no signature',
      header: () => `Bearer ${validToken({ header: { alg: 'none' } })}`,
      reason: 'JwtParseError: JWT string does not consist of exactly 3 parts (header, payload, signature)',
    },
    {
      defect: 'alg none, RS256 signature',
      header: () => {
        const unsigned = validToken({ header: { alg: 'none' } }).slice(0, -1);
        return `Bearer ${unsigned}.${rs256Signature(unsigned)}`;
      },
      reason: 'JwtInvalidSignatureAlgorithmError: JWT signature algorithm not allowed: none. Expected: RS256',
    },
    {
      defect: 'HS256 keyed with the public key',
      header: () => {
        const baseline = validToken();
        const publicKeyPem = createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' });
        const publicKeyAsSecret = createSecretKey(Buffer.from(publicKeyPem));
        const forged = signJwt({ ...decodeSegment(baseline, 0), alg: 'HS256' }, decodeSegment(baseline, 1), publicKeyAsSecret);
        return `Bearer ${forged}`;
      },
      reason: 'JwtInvalidSignatureAlgorithmError: JWT signature algorithm not allowed: HS256. Expected: RS256',
    },
    {
      defect: 'payload changed after signing',
      header: () => {
        const baseline = validToken();
        const [header, , signature] = baseline.split('.');
        const forgedPayload = encodeSegment({ ...decodeSegment(baseline, 1), sub: 'mallory' });
        return `Bearer ${header}.${forgedPayload}.${signature}`;
      },
      reason: 'JwtInvalidSignatureError: Invalid signature',
    },
    {
      defect: 'unknown kid',
      header: () => `Bearer ${validToken({}, otherKey)}`,
      reason: () => `KidNotFoundInJwksError: JWK for kid ${otherKey.kid} not found in the local JWKS`,
    },
    {
      defect: 'missing kid',
      header: () => `Bearer ${validToken({ header: { kid: undefined } })}`,
      reason: 'JwtWithoutValidKidError: JWT header has no kid',
    },
    {
      defect: 'wrong issuer',
      header: () => `Bearer ${validToken({ issuer: 'https://attacker.invalid/issuer' })}`,
      reason: `JwtInvalidIssuerError: Issuer not allowed: https://attacker.invalid/issuer. Expected: ${LOCAL_ISSUER}`,
    },
    {
      defect: 'wrong audience',
      header: () => `Bearer ${validToken({ audience: 'other-api' })}`,
      reason: 'JwtInvalidAudienceError: Audience not allowed: other-api. Expected: comm-api',
    },
    {
      defect: 'wrong client_id, no aud',
      header: () => `Bearer ${validToken({ extraClaims: { aud: undefined, client_id: 'other-client' } })}`,
      reason: 'JwtInvalidAudienceError: Audience not allowed: other-client. Expected: comm-api',
    },
    {
      defect: 'no aud or client_id',
      header: () => `Bearer ${validToken({ extraClaims: { aud: undefined } })}`,
      reason: 'JwtInvalidAudienceError: Missing Audience. Expected: comm-api',
    },
    {
      defect: 'expired one second ago',
      header: () => `Bearer ${validToken({ issuedAt: NOW_SECONDS - 3601, ttlSeconds: 3600 })}`,
      reason: 'JwtExpiredError: Token expired at 2026-12-04T11:59:59.000Z',
    },
    {
      defect: 'missing exp',
      header: () => `Bearer ${validToken({ extraClaims: { exp: undefined } })}`,
      reason: 'JwtExpiredError: Missing exp claim: API Gateway rejects a JWT without an expiry',
    },
    {
      defect: 'nbf in the future',
      header: () => `Bearer ${validToken({ extraClaims: { nbf: NOW_SECONDS + 60 } })}`,
      reason: "JwtNotBeforeError: Token can't be used before 2026-12-04T12:01:00.000Z",
    },
    {
      defect: 'iat in the future',
      header: () => `Bearer ${validToken({ extraClaims: { iat: NOW_SECONDS + 60 } })}`,
      reason: 'JwtNotBeforeError: Token issued in the future, at 2026-12-04T12:01:00.000Z',
    },
  ])('rejects $defect', async ({ header, reason }) => {
    const expectedReason = typeof reason === 'function' ? reason() : reason;

    const result = await authorizer.authorize(header());

    expect(result).toEqual({ ok: false, reason: expectedReason });
  });
});
