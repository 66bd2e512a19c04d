import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { errorFields, type Logger } from '../lambdas/logger.js';
import { s3ErrorXml, type S3ErrorResponse } from './s3-errors.js';
import { normalizeRange, type ObjectSize } from './s3-range.js';
import { createSigV4Verifier } from './sigv4-verifier.js';

/** The key pair of s3rver's one account. s3rver rejects any other access key id. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
/** Bucket name when MEDIA_BUCKET is not set. */
export const DEFAULT_MEDIA_BUCKET = 'comm-media-local';

export interface LocalS3Options {
  /** Bucket created at start; an existing one keeps its objects. */
  readonly bucket: string;
  /** Signing region the verifier expects. */
  readonly region: string;
  /** Directory for buckets and objects. @default a temporary directory that stop() removes */
  readonly directory?: string;
  readonly logger: Logger;
}

export interface LocalS3 {
  /** S3 endpoint, `http://127.0.0.1:PORT`, for path-style clients. */
  readonly url: string;
  readonly bucket: string;
  /** Directory of s3rver's buckets and objects. */
  readonly directory: string;
  /**
   * Moves the verifier's clock `ms` away from real time, for expiry and
   * request-time checks. s3rver repeats the expiry check on real time, so a
   * negative offset cannot make an expired URL valid again.
   */
  setClockOffset(ms: number): void;
  /** Stops the server; a temporary directory is removed. Calling it again does nothing. */
  stop(): Promise<void>;
}

/**
 * Starts a local S3-compatible server on 127.0.0.1 (a free port): s3rver
 * behind a SigV4 verifier in the same HTTP server. s3rver checks the expiry
 * of presigned URLs but not their signatures, so every request passes the
 * verifier first, and only verified ones reach s3rver, with Range headers
 * rewritten where s3rver would misread them. Unsigned requests get 403 like
 * a private bucket, except CORS preflights (OPTIONS), which carry no
 * signature and go to s3rver.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const { bucket, logger } = options;
  const temporary = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'comm-s3-')));
  await mkdir(directory, { recursive: true });

  let clockOffsetMs = 0;
  const verifier = createSigV4Verifier({ region: options.region, credentials: LOCAL_S3_CREDENTIALS, clock: () => Date.now() + clockOffsetMs });
  // Path-style only: the bucket is always the first path segment.
  const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false, configureBuckets: [{ name: bucket }] });
  const forwardToS3rver = s3rver.callback();
  const objectSize: ObjectSize = async (bucketName, key) => {
    try {
      return (await s3rver.store.getMetadata(bucketName, key))['content-length'];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method === 'OPTIONS') {
      forwardToS3rver(request, response);
      return;
    }
    const verdict = await verifier.verify({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers });
    if (verdict.ok) {
      await normalizeRange(request, objectSize);
      forwardToS3rver(request, response);
      return;
    }
    // The path names only the bucket and key. The query contains the signature, so it is never logged.
    logger.info('Rejected an S3 request', { method: request.method, path: pathOf(request), code: verdict.error.code });
    writeError(request, response, verdict.error);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('Verifying an S3 request failed', { method: request.method, path: pathOf(request), ...errorFields(error) });
      if (response.headersSent) response.destroy();
      else writeError(request, response, { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' });
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      server.closeAllConnections();
      // server.close() passes an error to the callback when the server never listened, which needs no handling.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      verifier.destroy();
      if (temporary) await rm(directory, { recursive: true, force: true });
    })());

  try {
    await s3rver.configureBuckets();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    setClockOffset: (ms) => {
      clockOffsetMs = ms;
    },
    stop,
  };
}

/** Writes S3's XML error. The unread request body is drained and the connection closed, as S3 does after rejecting an upload. */
function writeError(request: IncomingMessage, response: ServerResponse, error: S3ErrorResponse): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const body = s3ErrorXml(error, requestId);
  response.writeHead(error.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
    connection: 'close',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
  request.resume();
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0] ?? '/';
}
