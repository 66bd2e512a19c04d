import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/auth-config.js';
import { createJwtAuthorizer } from '../../lambdas/auth/jwt-authorizer.js';
import {
  generateSigningKey,
  jwksOf,
  jwkThumbprint,
  loadOrCreateSigningKey,
  signingKeyPath,
  signToken,
} from '../../local/signing-key.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

/** Environment variables that change the token's role claim, removed so the host's settings cannot leak in. */
const ROLE_VARIABLES = ['ROLE_CLAIM', 'ADMIN_GROUP', 'MODERATOR_GROUP'];

const INVALID_KEY_FIX = 'Delete it to create a new key, but tokens signed with the old key then stop working.';
const HELP_HINT = 'Run npm run token -- --help for the options.\n';

let tempDir: string;

beforeEach(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'comm-signing-key-'));
});

afterEach(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

interface CommandOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runTokenCommand(args: string[], extraEnv: Record<string, string> = {}): Promise<CommandOutput> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !ROLE_VARIABLES.includes(name)));

  return new Promise((resolve) => {
    execFile(TSX, ['local/token.ts', ...args], { cwd: PROJECT_ROOT, env: { ...env, ...extraEnv } }, (error, stdout, stderr) => {
      const exitCode = error ? Number(error.code) : 0;
      resolve({ exitCode, stdout, stderr });
    });
  });
}

describe('loadOrCreateSigningKey', () => {
  it('creates the directory and a 0600 file', async () => {
    const dataDir = join(tempDir, 'nested', 'data');

    await loadOrCreateSigningKey(dataDir);

    const { mode } = await stat(signingKeyPath(dataDir));
    expect(mode & 0o777).toBe(0o600);
  });

  it('stores alg and a PKCS #8 PEM', async () => {
    await loadOrCreateSigningKey(tempDir);

    const file = JSON.parse(await readFile(signingKeyPath(tempDir), 'utf8')) as Record<string, string>;
    expect(Object.keys(file)).toEqual(['alg', 'privateKeyPem']);
    expect(file.alg).toBe('RS256');
    expect(file.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
  });

  it('reloads the same key', async () => {
    const created = await loadOrCreateSigningKey(tempDir);

    const reloaded = await loadOrCreateSigningKey(tempDir);

    expect(reloaded.kid).toBe(created.kid);
    expect(reloaded.publicJwk).toEqual(created.publicJwk);
  });

  it('gives concurrent callers one key', async () => {
    const keys = await Promise.all([
      loadOrCreateSigningKey(tempDir),
      loadOrCreateSigningKey(tempDir),
      loadOrCreateSigningKey(tempDir),
    ]);

    const kids = new Set(keys.map((key) => key.kid));
    expect(kids.size).toBe(1);
    expect(await readdir(tempDir)).toEqual(['signing-key.json']);
  });

  it('rejects a file that is not JSON', async () => {
    await writeFile(signingKeyPath(tempDir), '{');

    const loading = loadOrCreateSigningKey(tempDir);

    await expect(loading).rejects.toThrow(
      `Invalid signing key file ${signingKeyPath(tempDir)}: it is not valid JSON. ${INVALID_KEY_FIX}`,
    );
  });

  it('rejects a file with an EC key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await writeFile(signingKeyPath(tempDir), JSON.stringify({ alg: 'RS256', privateKeyPem }));

    const loading = loadOrCreateSigningKey(tempDir);

    await expect(loading).rejects.toThrow(
      `Invalid signing key file ${signingKeyPath(tempDir)}: it contains a key of type ec, not RSA. ${INVALID_KEY_FIX}`,
    );
  });

  it('rejects an RSA key under 2048 bits', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await writeFile(signingKeyPath(tempDir), JSON.stringify({ alg: 'RS256', privateKeyPem }));

    const loading = loadOrCreateSigningKey(tempDir);

    await expect(loading).rejects.toThrow(
      `Invalid signing key file ${signingKeyPath(tempDir)}: its RSA key has 1024 bits, fewer than 2048. ${INVALID_KEY_FIX}`,
    );
  });
});

describe('jwkThumbprint', () => {
  it('matches the RFC 7638 example', () => {
    const rfcExampleJwk = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    } as const;

    const thumbprint = jwkThumbprint(rfcExampleJwk);

    expect(thumbprint).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});

describe('jwksOf', () => {
  it('publishes only the public members', async () => {
    const key = await generateSigningKey();

    const jwks = jwksOf(key);

    expect(jwks).toEqual({
      keys: [{ kty: 'RSA', n: expect.stringMatching(/^[\w-]{342}$/), e: 'AQAB', kid: key.kid, alg: 'RS256', use: 'sig' }],
    });
  });
});

describe('signToken', () => {
  it.each([0, -60, 1.5])('rejects ttlSeconds %s', async (ttlSeconds) => {
    const key = await generateSigningKey();

    const signing = () => signToken(key, { sub: 'alice', ttlSeconds });

    expect(signing).toThrow(new RangeError(`Invalid ttlSeconds ${ttlSeconds}: expected a positive integer`));
  });
});

describe('token command', { timeout: 30_000 }, () => {
  it('prints a token the authorizer accepts', async () => {
    const dataDir = join(tempDir, 'data');

    const output = await runTokenCommand(['--sub', 'alice', '--admin', '--data-dir', dataDir]);

    expect(output.exitCode).toBe(0);
    expect(output.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(output.stderr).toBe(
      `Created signing key ${signingKeyPath(dataDir)}. A local stack already running with another --data-dir rejects this token.\n`,
    );
    const key = await loadOrCreateSigningKey(dataDir);
    const authorizer = createJwtAuthorizer({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks: jwksOf(key) });
    const result = await authorizer.authorize(`Bearer ${output.stdout.trim()}`);
    expect(result).toMatchObject({
      ok: true,
      claims: { sub: 'alice', iss: LOCAL_ISSUER, aud: 'comm-api', 'cognito:groups': '[comm-admin]' },
    });
  });

  it('signs with an existing key and --ttl', async () => {
    const key = await loadOrCreateSigningKey(tempDir);

    const output = await runTokenCommand(['--sub', 'bob', '--ttl', '60', '--data-dir', tempDir]);

    expect(output.exitCode).toBe(0);
    expect(output.stderr).toBe('');
    const authorizer = createJwtAuthorizer({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks: jwksOf(key) });
    const result = await authorizer.authorize(`Bearer ${output.stdout.trim()}`);
    expect(result.ok).toBe(true);
    const claims = result.ok ? result.claims : {};
    expect(Number(claims.exp) - Number(claims.iat)).toBe(60);
    expect(claims['cognito:groups']).toBeUndefined();
  });

  it('uses ROLE_CLAIM and MODERATOR_GROUP', async () => {
    const key = await loadOrCreateSigningKey(tempDir);

    const output = await runTokenCommand(['--sub', 'carol', '--moderator', '--data-dir', tempDir], {
      ROLE_CLAIM: 'groups',
      MODERATOR_GROUP: 'mods',
    });

    expect(output.exitCode).toBe(0);
    const authorizer = createJwtAuthorizer({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks: jwksOf(key) });
    const result = await authorizer.authorize(`Bearer ${output.stdout.trim()}`);
    expect(result).toMatchObject({ ok: true, claims: { sub: 'carol', groups: '[mods]' } });
  });

  it('prints help on stdout', async () => {
    const output = await runTokenCommand(['--help']);

    expect(output.exitCode).toBe(0);
    expect(output.stdout).toMatch(/^Usage: npm run token -- --sub <user-id> /);
    expect(output.stderr).toBe('');
  });

  it.each([
    { problem: 'missing --sub', args: [], message: 'Missing --sub: pass the user id, as in --sub alice' },
    {
      problem: 'empty --sub',
      args: ['--sub', ' '],
      message: 'Invalid --sub " ": pass a non-empty user id, as in --sub alice',
    },
    {
      problem: 'zero --ttl',
      args: ['--sub', 'alice', '--ttl', '0'],
      message: 'Invalid --ttl "0": pass a positive integer number of seconds, as in --ttl 3600',
    },
    {
      problem: 'non-numeric --ttl',
      args: ['--sub', 'alice', '--ttl', '1h'],
      message: 'Invalid --ttl "1h": pass a positive integer number of seconds, as in --ttl 3600',
    },
    { problem: 'unknown option', args: ['--sub', 'alice', '--admn'], message: "Unknown option '--admn'" },
  ])('exits 2 on $problem', async ({ args, message }) => {
    const dataDir = join(tempDir, 'data');

    const output = await runTokenCommand([...args, '--data-dir', dataDir]);

    expect(output.exitCode).toBe(2);
    expect(output.stdout).toBe('');
    expect(output.stderr).toBe(`${message}\n${HELP_HINT}`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('exits 1 on a corrupt key file', async () => {
    await writeFile(signingKeyPath(tempDir), 'not json');

    const output = await runTokenCommand(['--sub', 'alice', '--data-dir', tempDir]);

    expect(output.exitCode).toBe(1);
    expect(output.stdout).toBe('');
    expect(output.stderr).toBe(
      `Failed to print a token: Invalid signing key file ${signingKeyPath(tempDir)}: it is not valid JSON. ${INVALID_KEY_FIX}\n`,
    );
  });
});
