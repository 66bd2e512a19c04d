import { createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/auth-config.js';
import { signJwt, signToken } from '../../local/signing-key.js';
import { startTestStack, type TestStack } from '../support/stack.js';

describe('HTTP API JWT authorizer', () => {
  let stack: TestStack;
  let channelId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const channel = await stack.request('POST', '/api/admin/channels', { token: stack.token('admin-1', { admin: true }), body: { title: 'Auth' } });
    channelId = channel.body.id;
  });

  afterAll(async () => {
    await stack.stop();
  });

  function validClaims(): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { sub: 'mallory', iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, iat: now, nbf: now, exp: now + 600, 'cognito:groups': ['comm-admin'] };
  }

  const forgedTokens: [string, () => string][] = [
    ['alg none', () => signJwt({ alg: 'none', typ: 'JWT', kid: stack.signingKey.kid }, validClaims(), stack.signingKey.privateKey)],
    [
      'HS256 keyed with the public key',
      () => {
        const publicPem = createPublicKey(stack.signingKey.privateKey).export({ format: 'pem', type: 'spki' });
        return signJwt({ alg: 'HS256', typ: 'JWT', kid: stack.signingKey.kid }, validClaims(), createSecretKey(Buffer.from(publicPem)));
      },
    ],
    ['wrong issuer', () => signToken(stack.signingKey, { sub: 'mallory', groups: ['comm-admin'], issuer: 'https://other-issuer.invalid/' })],
    ['wrong audience', () => signToken(stack.signingKey, { sub: 'mallory', groups: ['comm-admin'], audience: 'another-api' })],
    ['expired', () => signToken(stack.signingKey, { sub: 'mallory', groups: ['comm-admin'], issuedAt: Math.floor(Date.now() / 1000) - 7200, ttlSeconds: 3600 })],
    ['not yet valid', () => signToken(stack.signingKey, { sub: 'mallory', groups: ['comm-admin'], extraClaims: { nbf: Math.floor(Date.now() / 1000) + 3600 } })],
    [
      'unknown kid',
      () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return signJwt({ alg: 'RS256', typ: 'JWT', kid: 'unknown-key' }, validClaims(), privateKey);
      },
    ],
    ['malformed', () => 'not.a.jwt'],
  ];

  it.each(forgedTokens)('rejects %s with 401', async (_name, forge) => {
    const token = forge();

    const admin = await stack.request('POST', '/api/admin/channels', { token, body: { title: 'Forged' } });
    const reader = await stack.request('GET', `/api/mobile/channels/${channelId}/posts`, { token });

    expect(admin.status).toBe(401);
    expect(admin.body).toEqual({ error: { code: 'unauthorized', message: 'A valid bearer token is required' } });
    expect(reader.status).toBe(401);
  });

  it('rejects a missing token with 401', async () => {
    const response = await stack.request('GET', '/api/mobile/channels');

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('accepts the token command output', async () => {
    const response = await stack.request('GET', '/api/mobile/channels', { token: stack.token('alice') });

    expect(response.status).toBe(200);
  });

  it.each([
    ['POST', '/api/admin/channels', { title: 'Not mine' }],
    ['PATCH', '/api/admin/channels/{channelId}', { title: 'Renamed' }],
    ['PUT', '/api/admin/access/{channelId}/users/alice', { periods: [] }],
  ])('answers 403 to a reader on %s %s', async (method, path, body) => {
    const response = await stack.request(method, path.replace('{channelId}', channelId), { token: stack.token('reader-1'), body });

    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('forbidden');
  });

  it('answers 403 to a reader publishing', async () => {
    const response = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
      token: stack.token('reader-1'),
      body: { body_text: 'spam' },
      headers: { 'idempotency-key': 'reader-publish' },
    });

    expect(response.status).toBe(403);
    const channel = await stack.request('GET', `/api/mobile/channels/${channelId}`, { token: stack.token('admin-1', { admin: true }) });
    expect(channel.body.last_seq).toBe(0);
  });
});
