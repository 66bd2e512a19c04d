import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMediaClient } from '../../lambdas/adapters/media-store.js';
import { createLogger } from '../../lambdas/logger.js';
import { LOCAL_REGION } from '../../local/dynamodb-local.js';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../../local/s3-server.js';
import { s3Error, withParameter } from '../support/media.js';

const BUCKET = 'verifier-test';
const silent = createLogger('silent');

function clientFor(server: LocalS3, overrides: { credentials?: { accessKeyId: string; secretAccessKey: string } } = {}): S3Client {
  return createMediaClient({ endpoint: server.url, forcePathStyle: true, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1, ...overrides });
}

/** Runs one SDK call and returns the S3 error it fails with. */
async function s3Failure(send: () => Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await send();
  } catch (error) {
    if (!(error instanceof S3ServiceException)) throw error;
    return { name: error.name, status: error.$metadata.httpStatusCode };
  }
  throw new Error('The request succeeded');
}

describe('local S3 server', () => {
  let server: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    server = await startLocalS3({ bucket: BUCKET, region: LOCAL_REGION, logger: silent });
    client = clientFor(server);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt', Body: 'alpha', ContentType: 'text/plain' }));
  });

  afterEach(() => {
    server.setClockOffset(0);
  });

  afterAll(async () => {
    client.destroy();
    await server.stop();
  });

  it('accepts header-signed SDK requests', async () => {
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt' }));
    const get = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt' }));

    expect(head.ContentLength).toBe(5);
    expect(await get.Body?.transformToString()).toBe('alpha');
  });

  it.each(['x y+z.pdf', 'dir/ümlaut (1).pdf', "it's~*.pdf"])('serves presigned GETs of key %s', async (key) => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60 });

    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe(key);
  });

  it('rejects a header-signed request with a changed signature', async () => {
    const tampering = clientFor(server);
    // The deserialize step runs after signing, just before the request is sent.
    tampering.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers.authorization = request.headers.authorization!.replace(/Signature=([0-9a-f])/, (_, first: string) => `Signature=${first === '0' ? '1' : '0'}`);
        return next(args);
      },
      { step: 'deserialize', name: 'tamperSignature' },
    );

    const failure = await s3Failure(() => tampering.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt' })));

    expect(failure).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    tampering.destroy();
  });

  it('rejects a header-signed request with an unsigned x-amz header', async () => {
    const tampering = clientFor(server);
    tampering.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-amz-meta-note'] = 'added after signing';
        return next(args);
      },
      { step: 'deserialize', name: 'addUnsignedHeader' },
    );

    const failure = await s3Failure(() => tampering.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'notes/b.txt', Body: 'beta' })));

    expect(failure).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Failure(() => client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'notes/b.txt' })))).toEqual({ name: 'NotFound', status: 404 });
    tampering.destroy();
  });

  it('rejects an unknown access key', async () => {
    const stranger = clientFor(server, { credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'S3RVER' } });

    const failure = await s3Failure(() => stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt' })));

    expect(failure).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    stranger.destroy();
  });

  it('rejects a wrong secret key', async () => {
    const impostor = clientFor(server, { credentials: { accessKeyId: LOCAL_S3_CREDENTIALS.accessKeyId, secretAccessKey: 'guessed' } });

    const failure = await s3Failure(() => impostor.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt' })));

    expect(failure).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    impostor.destroy();
  });

  it('rejects a header-signed request 16 minutes off', async () => {
    // A client of its own: the SDK corrects its clock from the error's ServerTime, which would skew the shared client.
    const skewed = clientFor(server);
    server.setClockOffset(16 * 60 * 1000);

    const failure = await s3Failure(() => skewed.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt' })));

    expect(failure).toEqual({ name: 'RequestTimeTooSkewed', status: 403 });
    skewed.destroy();
  });

  it('accepts DeleteObjects with its body checksum', async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'notes/c.txt', Body: 'gamma' }));

    const result = await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'notes/c.txt' }], Quiet: true } }));

    expect(result.Errors ?? []).toEqual([]);
    expect(await s3Failure(() => client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'notes/c.txt' })))).toEqual({ name: 'NotFound', status: 404 });
  });

  it.each([
    { name: 'no signature at all', change: (url: string) => url.split('?')[0]!, status: 403, code: 'AccessDenied' },
    { name: 'a missing X-Amz-Signature', change: (url: string) => withParameter(url, 'X-Amz-Signature', undefined), status: 400, code: 'AuthorizationQueryParametersError' },
    { name: 'another algorithm', change: (url: string) => withParameter(url, 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1'), status: 400, code: 'AuthorizationQueryParametersError' },
    { name: 'a malformed X-Amz-Date', change: (url: string) => withParameter(url, 'X-Amz-Date', '2026-01-01T00:00:00Z'), status: 400, code: 'AuthorizationQueryParametersError' },
    { name: 'X-Amz-Expires over a week', change: (url: string) => withParameter(url, 'X-Amz-Expires', '604801'), status: 400, code: 'AuthorizationQueryParametersError' },
    { name: 'a SigV2 Signature parameter', change: (url: string) => withParameter(url, 'Signature', 'abc'), status: 400, code: 'InvalidRequest' },
    { name: 'another access key', change: (url: string) => url.replace('X-Amz-Credential=S3RVER', 'X-Amz-Credential=AKIDOTHER'), status: 403, code: 'InvalidAccessKeyId' },
    { name: 'another region', change: (url: string) => url.replace('%2Fus-east-1%2F', '%2Feu-west-1%2F'), status: 403, code: 'SignatureDoesNotMatch' },
    { name: 'a payload hash', change: (url: string) => withParameter(url, 'X-Amz-Content-Sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'), status: 403, code: 'SignatureDoesNotMatch' },
  ])('rejects a presigned URL with $name', async ({ change, status, code }) => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt' }), { expiresIn: 60 });

    const response = await fetch(change(url));

    expect(response.status).toBe(status);
    expect(s3Error(await response.text()).code).toBe(code);
  });

  it('rejects a presigned URL sent with an Authorization header', async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'notes/a.txt' }), { expiresIn: 60 });

    const response = await fetch(url, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' } });

    expect(response.status).toBe(400);
    expect(s3Error(await response.text()).code).toBe('InvalidArgument');
  });

  it('answers a rejected HEAD without a body', async () => {
    const response = await fetch(`${server.url}/${BUCKET}/notes/a.txt`, { method: 'HEAD' });

    expect(response.status).toBe(403);
    expect(await response.text()).toBe('');
  });
});

describe('local S3 server lifecycle', () => {
  it('removes its temporary directory at stop', async () => {
    const server = await startLocalS3({ bucket: BUCKET, region: LOCAL_REGION, logger: silent });

    await server.stop();

    await expect(access(server.directory)).rejects.toThrow('ENOENT');
    await expect(fetch(`${server.url}/${BUCKET}`)).rejects.toThrow('fetch failed');
  });

  it('keeps objects in a given directory across restarts', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'comm-s3-test-'));
    try {
      const first = await startLocalS3({ bucket: BUCKET, region: LOCAL_REGION, logger: silent, directory });
      const firstClient = clientFor(first);
      await firstClient.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'kept' }));
      firstClient.destroy();
      await first.stop();

      const second = await startLocalS3({ bucket: BUCKET, region: LOCAL_REGION, logger: silent, directory });
      const secondClient = clientFor(second);
      const object = await secondClient.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept.txt' }));

      expect(await object.Body?.transformToString()).toBe('kept');
      secondClient.destroy();
      await second.stop();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
