import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSign,
  generateKeyPair,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { DEFAULT_ROLE_CLAIM, LOCAL_AUDIENCE, LOCAL_ISSUER } from './auth-config.js';

/** Name of the key file inside the data directory. */
export const SIGNING_KEY_FILE = 'signing-key.json';

/** Token lifetime when none is given: one hour, Cognito's default access-token validity. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** RSA modulus size in bits, the minimum RFC 7518 (section 3.3) allows for RS256. */
const MODULUS_LENGTH = 2048;

/** Owner read and write only, because the file contains a private key. */
const KEY_FILE_MODE = 0o600;

const generateKeyPairAsync = promisify(generateKeyPair);

/** Public half of the signing key as a JWK, the form a JWKS publishes. */
export type PublicJwk = {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
};

/** JSON Web Key Set with the local signing key's public JWK. */
export type LocalJwks = { readonly keys: PublicJwk[] };

/** RS256 key pair that signs local tokens. */
export interface SigningKey {
  /** RFC 7638 SHA-256 thumbprint of the public JWK, base64url-encoded. */
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: PublicJwk;
}

/** Contents of the key file. */
interface SigningKeyFile {
  readonly alg: 'RS256';
  /** PKCS #8 PEM. */
  readonly privateKeyPem: string;
}

/** Options of {@link signToken}. */
export interface TokenOptions {
  /** User id, the `sub` claim. */
  readonly sub: string;
  /** Groups for the role claim. The claim is left out when this is missing or empty, as Cognito does for a user in no group. */
  readonly groups?: readonly string[];
  /** Claim that carries the groups. @default DEFAULT_ROLE_CLAIM ('cognito:groups') */
  readonly roleClaim?: string;
  /** Lifetime in seconds, from `iat` to `exp`. @default DEFAULT_TOKEN_TTL_SECONDS (3600) */
  readonly ttlSeconds?: number;
  /** @default LOCAL_ISSUER */
  readonly issuer?: string;
  /** @default LOCAL_AUDIENCE */
  readonly audience?: string;
  /** `iat` (and `nbf`) in seconds since the epoch. @default the current time */
  readonly issuedAt?: number;
  /** Claims merged last, so they can replace a standard claim or, set to undefined, drop it. */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
  /** Header fields merged over `{ alg: 'RS256', typ: 'JWT', kid }`, to craft invalid tokens in tests. */
  readonly header?: Readonly<Record<string, unknown>>;
}

/** Returns the path of the key file in `dataDir`. */
export function signingKeyPath(dataDir: string): string {
  return join(dataDir, SIGNING_KEY_FILE);
}

/**
 * Loads the signing key from `<dataDir>/signing-key.json`, creating the
 * directory and a new RSA-2048 key (file mode 0600) when the file is missing.
 * The local stack and `npm run token` run as separate processes and both call
 * this, so the file is created atomically: when two processes race, both end
 * up with the key that was linked into place first.
 *
 * @throws Error naming the file when it exists but does not contain a usable RSA key.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const path = signingKeyPath(dataDir);
  const existing = await readSigningKeyFile(path);
  if (existing) return existing;

  await mkdir(dataDir, { recursive: true });
  const created = await generateSigningKey();
  const written = await writeFileIfAbsent(path, serializeSigningKey(created));
  if (written) return created;

  const winner = await readSigningKeyFile(path);
  if (!winner) throw new Error(`Signing key file ${path} disappeared while it was being created: run the command again`);
  return winner;
}

/** Generates a new RS256 key in memory without persisting it. */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: MODULUS_LENGTH });
  return signingKeyFromPrivateKey(privateKey);
}

/** Returns the JWKS that publishes `key`, the only key set the local authorizer trusts. */
export function jwksOf(key: SigningKey): LocalJwks {
  return { keys: [key.publicJwk] };
}

/**
 * Computes the RFC 7638 thumbprint of an RSA public JWK: the SHA-256 digest of
 * its required members `e`, `kty`, `n` in that order, with no whitespace, as base64url.
 */
export function jwkThumbprint(jwk: { readonly kty: 'RSA'; readonly n: string; readonly e: string }): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * Signs a JWT for the local authorizer with `iss`, `sub`, `aud`, `iat`, `nbf`
 * (equal to `iat`), `exp` and, when groups are given, the role claim.
 *
 * @returns the compact JWS serialization.
 * @throws RangeError when `ttlSeconds` is not a positive integer or `issuedAt` is not an integer.
 */
export function signToken(key: SigningKey, options: TokenOptions): string {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`Invalid ttlSeconds ${ttlSeconds}: expected a positive integer`);
  }
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(issuedAt)) {
    throw new RangeError(`Invalid issuedAt ${issuedAt}: expected whole seconds since the epoch`);
  }

  const groups = options.groups ?? [];
  const roleClaims = groups.length > 0 ? { [options.roleClaim ?? DEFAULT_ROLE_CLAIM]: [...groups] } : {};
  const payload = {
    iss: options.issuer ?? LOCAL_ISSUER,
    sub: options.sub,
    aud: options.audience ?? LOCAL_AUDIENCE,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + ttlSeconds,
    ...roleClaims,
    ...options.extraClaims,
  };
  const header = { alg: 'RS256', typ: 'JWT', kid: key.kid, ...options.header };

  return signJwt(header, payload, key.privateKey);
}

/**
 * Builds a compact JWS from `header` and `payload` (each JSON-encoded, then
 * base64url-encoded), signed with the algorithm that `header.alg` names: RS256
 * with an RSA private key, HS256 with a secret key, or `none` with an empty
 * signature. It does no claim checks, so tests use it to craft invalid tokens.
 *
 * @throws Error when `header.alg` names another algorithm.
 */
export function signJwt(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  key: KeyObject,
): string {
  const signingInput = `${encodeJsonSegment(header)}.${encodeJsonSegment(payload)}`;
  const signature = createJwsSignature(header.alg, signingInput, key);
  return `${signingInput}.${signature}`;
}

function createJwsSignature(alg: unknown, signingInput: string, key: KeyObject): string {
  switch (alg) {
    case 'RS256':
      return createSign('RSA-SHA256').update(signingInput).sign(key, 'base64url');
    case 'HS256':
      return createHmac('sha256', key).update(signingInput).digest('base64url');
    case 'none':
      return '';
    default:
      throw new Error(`Unsupported JWS alg ${JSON.stringify(alg)}: use RS256, HS256 or none`);
  }
}

function encodeJsonSegment(value: Readonly<Record<string, unknown>>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signingKeyFromPrivateKey(privateKey: KeyObject): SigningKey {
  const { n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof n !== 'string' || typeof e !== 'string') {
    throw new Error('The RSA public key exported to a JWK without n and e');
  }

  const kid = jwkThumbprint({ kty: 'RSA', n, e });
  return { kid, privateKey, publicJwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } };
}

function serializeSigningKey(key: SigningKey): string {
  const privateKeyPem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const file: SigningKeyFile = { alg: 'RS256', privateKeyPem };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Reads and checks the key file, or returns undefined when it does not exist. */
async function readSigningKeyFile(path: string): Promise<SigningKey | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return undefined;
    throw error;
  }

  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (error) {
    throw invalidKeyFileError(path, 'it is not valid JSON', error);
  }
  const privateKeyPem = (file as Partial<SigningKeyFile> | null)?.privateKeyPem;
  if (typeof privateKeyPem !== 'string') {
    throw invalidKeyFileError(path, 'the privateKeyPem field is missing or not a string');
  }

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw invalidKeyFileError(path, 'privateKeyPem is not a PEM private key', error);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw invalidKeyFileError(path, `it contains a key of type ${String(privateKey.asymmetricKeyType)}, not RSA`);
  }
  const modulusLength = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (modulusLength < MODULUS_LENGTH) {
    throw invalidKeyFileError(path, `its RSA key has ${modulusLength} bits, fewer than ${MODULUS_LENGTH}`);
  }

  return signingKeyFromPrivateKey(privateKey);
}

function invalidKeyFileError(path: string, problem: string, cause?: unknown): Error {
  const fix = 'Delete it to create a new key, but tokens signed with the old key then stop working.';
  return new Error(`Invalid signing key file ${path}: ${problem}. ${fix}`, { cause });
}

/**
 * Creates `path` with `contents` unless it exists. The contents go to a
 * temporary file first and are then hard-linked into place, because link(2)
 * fails with EEXIST instead of replacing, so no reader ever sees a partial file.
 *
 * @returns true when this call created the file, false when it already existed.
 */
async function writeFileIfAbsent(path: string, contents: string): Promise<boolean> {
  const temporaryPath = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporaryPath, contents, { mode: KEY_FILE_MODE, flag: 'wx' });
  try {
    await link(temporaryPath, path);
    return true;
  } catch (error) {
    if (isErrnoException(error) && error.code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporaryPath);
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
