import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { S3ErrorResponse, s3Errors } from './s3-errors.js';

/** The SDK's request shape, named through the presigner so no transitive package is imported. */
type SdkRequest = Parameters<S3RequestPresigner['presign']>[0];
type QueryBag = NonNullable<SdkRequest['query']>;

export interface SigV4VerifierOptions {
  readonly region: string;
  /** The only key pair the server accepts. The SDK clients sign with it. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Epoch ms, for expiry and request-time checks. */
  readonly clock: () => number;
}

/** Method, target and headers of an incoming request. The verifier never reads the body. */
export interface IncomingSignedRequest {
  readonly method: string;
  /** Path and query exactly as received (`IncomingMessage.url`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly error: S3ErrorResponse };

export interface SigV4Verifier {
  verify(request: IncomingSignedRequest): Promise<Verdict>;
  destroy(): void;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** S3 rejects presigned URLs that live longer than seven days. */
const MAX_EXPIRES_SECONDS = 604_800;
/** S3 rejects header-signed requests whose X-Amz-Date is further than 15 minutes from its clock. */
const MAX_REQUEST_SKEW_MS = 15 * 60 * 1000;
const AMZ_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const REQUIRED_QUERY_PARAMETERS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;

/**
 * Creates a SigV4 verifier for a local S3 server. It recomputes each
 * request's signature with the AWS SDK's own signer, from the signing time,
 * signed headers and query parameters the request carries, and compares the
 * result in constant time. Presigned URLs are re-presigned with
 * `S3RequestPresigner` (what `getSignedUrl` uses), and header-signed requests
 * are re-signed with the S3 client's SigV4 signer.
 *
 * NOTE: the body is never read, so a header-signed request's
 * `x-amz-content-sha256` is trusted as sent, and presigned requests are
 * UNSIGNED-PAYLOAD as on S3. Chunk signatures of streaming uploads are not
 * checked. A presigned URL must have `getSignedUrl`'s shape, with
 * `X-Amz-Content-Sha256=UNSIGNED-PAYLOAD` in the query, or its signature
 * fails here although S3 would accept it. SigV2 and SigV4A are rejected.
 */
export function createSigV4Verifier(options: SigV4VerifierOptions): SigV4Verifier {
  const { region, credentials, clock } = options;
  // The client never sends a request. It only supplies the SDK's signer and SHA-256 implementation.
  const client = new S3Client({ region, credentials });
  const presigner = new S3RequestPresigner({ region, credentials, sha256: client.config.sha256 });
  let headerSigner: ReturnType<S3Client['config']['signer']> | undefined;

  async function verify(request: IncomingSignedRequest): Promise<Verdict> {
    const { path, query } = splitUrl(request.url);
    const authorization = headerValue(request.headers, 'authorization');
    const hasQueryAuth = query.has('X-Amz-Algorithm');
    const usesSigV2 = query.has('Signature') || query.has('AWSAccessKeyId') || (authorization !== undefined && /^AWS\s/.test(authorization));

    if (usesSigV2) return reject(s3Errors.unsupportedAuthorization());
    if (hasQueryAuth && authorization !== undefined) return reject(s3Errors.multipleAuthMechanisms());
    if (hasQueryAuth) return verifyPresigned(request, path, query);
    if (authorization !== undefined) return verifyHeaderSigned(request, path, query, authorization);
    return reject(s3Errors.anonymousAccess());
  }

  async function verifyPresigned(request: IncomingSignedRequest, path: string, query: URLSearchParams): Promise<Verdict> {
    const missing = REQUIRED_QUERY_PARAMETERS.filter((name) => !query.has(name));
    if (missing.length > 0) return reject(s3Errors.queryParametersMissing(missing));
    const provided = Object.fromEntries(REQUIRED_QUERY_PARAMETERS.map((name) => [name, query.get(name)!])) as Record<(typeof REQUIRED_QUERY_PARAMETERS)[number], string>;

    if (provided['X-Amz-Algorithm'] !== ALGORITHM) return reject(s3Errors.unsupportedAlgorithm(provided['X-Amz-Algorithm']));
    const signedAt = parseAmzDate(provided['X-Amz-Date']);
    if (signedAt === undefined) return reject(s3Errors.invalidAmzDate(provided['X-Amz-Date']));
    const expiresSeconds = parseExpires(provided['X-Amz-Expires']);
    if (expiresSeconds === undefined) return reject(s3Errors.invalidExpires(provided['X-Amz-Expires'], MAX_EXPIRES_SECONDS));
    const accessKeyId = provided['X-Amz-Credential'].split('/')[0] ?? '';
    if (accessKeyId !== credentials.accessKeyId) return reject(s3Errors.unknownAccessKey(accessKeyId));

    const signedHeaders = provided['X-Amz-SignedHeaders'].split(';');
    const unsigned = unsignedAmzHeaders(request.headers, signedHeaders);
    if (unsigned.length > 0) return reject(s3Errors.headersNotSigned(unsigned));

    // Every query parameter except the signature is signed again. The presigner overwrites the other X-Amz-* parameters with the values it computes.
    const toSign = sdkRequest(request, path, withoutSignature(query), signedHeaders);
    const signedAmzHeaders = new Set(signedHeaders.filter((name) => name.startsWith('x-amz-')));
    const expected = await presigner.presign(toSign, {
      signingDate: new Date(signedAt),
      expiresIn: expiresSeconds,
      signableHeaders: new Set(signedHeaders),
      // Signed x-amz-* headers stay headers, because the presigner would otherwise hoist them into the query.
      unhoistableHeaders: signedAmzHeaders,
    });
    // Besides the signature, every parameter the presigner wrote (credential scope, signed headers, payload hash) must equal the URL's.
    const { 'X-Amz-Signature': expectedSignature, ...expectedParameters } = expected.query ?? {};
    const matches = isDeepStrictEqual(toSign.query, expectedParameters) && constantTimeEqual(provided['X-Amz-Signature'], String(expectedSignature));
    if (!matches) return reject(s3Errors.signatureDoesNotMatch(accessKeyId));

    const now = clock();
    const expiresAt = signedAt + expiresSeconds * 1000;
    if (now > expiresAt) return reject(s3Errors.requestExpired(provided['X-Amz-Expires'], expiresAt, now));
    return { ok: true };
  }

  async function verifyHeaderSigned(request: IncomingSignedRequest, path: string, query: URLSearchParams, authorization: string): Promise<Verdict> {
    const parsed = parseAuthorizationHeader(authorization);
    if (!parsed) return reject(s3Errors.authorizationHeaderMalformed());
    const accessKeyId = parsed.credential.split('/')[0] ?? '';
    if (accessKeyId !== credentials.accessKeyId) return reject(s3Errors.unknownAccessKey(accessKeyId));

    const amzDate = headerValue(request.headers, 'x-amz-date');
    const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (signedAt === undefined) return reject(s3Errors.missingRequestDate());
    if (headerValue(request.headers, 'x-amz-content-sha256') === undefined) return reject(s3Errors.missingContentSha256());
    const now = clock();
    if (Math.abs(now - signedAt) > MAX_REQUEST_SKEW_MS) return reject(s3Errors.requestTimeTooSkewed(signedAt, now));

    const signedHeaders = parsed.signedHeaders.split(';');
    const unsigned = unsignedAmzHeaders(request.headers, signedHeaders);
    if (unsigned.length > 0) return reject(s3Errors.headersNotSigned(unsigned));

    headerSigner ??= client.config.signer();
    const signer = await headerSigner;
    const expected = await signer.sign(sdkRequest(request, path, queryBag(query), signedHeaders), {
      signingDate: new Date(signedAt),
      signableHeaders: new Set(signedHeaders),
    });
    const recomputed = parseAuthorizationHeader(String(expected.headers.authorization ?? ''));
    const matches =
      recomputed !== undefined &&
      parsed.credential === recomputed.credential &&
      parsed.signedHeaders === recomputed.signedHeaders &&
      constantTimeEqual(parsed.signature, recomputed.signature);
    if (!matches) return reject(s3Errors.signatureDoesNotMatch(accessKeyId));
    return { ok: true };
  }

  return { verify, destroy: () => client.destroy() };
}

function reject(error: S3ErrorResponse): Verdict {
  return { ok: false, error };
}

/** Splits the raw request target. The path keeps its percent-encoding, because S3 signs the path as sent. */
function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return { path: url, query: new URLSearchParams() };
  return { path: url.slice(0, queryStart), query: new URLSearchParams(url.slice(queryStart + 1)) };
}

/** Converts parsed query parameters to the SDK's bag. A repeated name becomes a list, which the SDK signs value by value. */
function queryBag(query: URLSearchParams): QueryBag {
  const bag: QueryBag = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    bag[name] = values.length === 1 ? values[0]! : values;
  }
  return bag;
}

function withoutSignature(query: URLSearchParams): QueryBag {
  const bag = queryBag(query);
  delete bag['X-Amz-Signature'];
  return bag;
}

/**
 * Builds the request the SDK signs: the method, the raw path, the query and
 * only the headers the client signed, with their received values.
 */
function sdkRequest(request: IncomingSignedRequest, path: string, query: QueryBag, signedHeaders: readonly string[]): SdkRequest {
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  // The signers take the host from the signed Host header. They use the hostname only when the client signed no Host header, and then the signatures differ anyway.
  return { method: request.method, protocol: 'http:', hostname: '127.0.0.1', path, query, headers };
}

/** S3 refuses x-amz-* headers that the signature does not cover, so a client cannot add metadata or options after signing. */
function unsignedAmzHeaders(headers: IncomingHttpHeaders, signedHeaders: readonly string[]): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('x-amz-') && !signedHeaders.includes(name));
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
function parseAuthorizationHeader(value: string): { credential: string; signedHeaders: string; signature: string } | undefined {
  if (!value.startsWith(`${ALGORITHM} `)) return undefined;
  const components = new Map(
    value
      .slice(ALGORITHM.length + 1)
      .split(',')
      .map((component) => {
        const [name, ...rest] = component.trim().split('=');
        return [name ?? '', rest.join('=')] as const;
      }),
  );
  const credential = components.get('Credential');
  const signedHeaders = components.get('SignedHeaders');
  const signature = components.get('Signature');
  if (!credential || !signedHeaders || !signature) return undefined;
  return { credential, signedHeaders, signature };
}

/** Parses SigV4's `yyyyMMddTHHmmssZ` to epoch ms, or undefined when it is not a real UTC time. */
export function parseAmzDate(value: string): number | undefined {
  const match = AMZ_DATE_PATTERN.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const roundTrips = new Date(time).toISOString().replace(/[-:]|\.\d{3}/g, '') === value;
  return roundTrips ? time : undefined;
}

function parseExpires(value: string): number | undefined {
  if (!/^\d{1,6}$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds >= 1 && seconds <= MAX_EXPIRES_SECONDS ? seconds : undefined;
}

function constantTimeEqual(provided: string, expected: string): boolean {
  const providedBytes = Buffer.from(provided, 'utf8');
  const expectedBytes = Buffer.from(expected, 'utf8');
  // A signature's length is public (64 hex digits), so only the comparison of equal lengths must not leak.
  return providedBytes.length === expectedBytes.length && timingSafeEqual(providedBytes, expectedBytes);
}
