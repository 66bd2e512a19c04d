import type { IncomingMessage } from 'node:http';

/** Size in bytes of an object, or undefined when it does not exist. */
export type ObjectSize = (bucket: string, key: string) => Promise<number | undefined>;

const SUFFIX_RANGE = /^bytes=-(\d+)$/;

/**
 * Rewrites the Range header of a GET into a form s3rver 3.7.1 reads as S3
 * does. s3rver reads a suffix range (`bytes=-N`, the last N bytes) as
 * `bytes=0-N`, so it becomes an explicit `bytes=first-last`. S3 serves no
 * multi-range requests: it ignores such a header and returns the whole
 * object with 200, so the header is removed. Single ranges
 * (`bytes=a-b`, `bytes=a-`) pass unchanged, because s3rver returns 206 or
 * 416 for those as S3 does.
 */
export async function normalizeRange(request: IncomingMessage, objectSize: ObjectSize): Promise<void> {
  const range = request.headers.range?.trim();
  if (request.method !== 'GET' || range === undefined) return;
  if (range.includes(',')) {
    delete request.headers.range;
    return;
  }

  const suffix = SUFFIX_RANGE.exec(range);
  const object = objectOf(request.url ?? '/');
  if (!suffix?.[1] || !object) return;
  const size = await objectSize(object.bucket, object.key);
  // A missing object is left to s3rver's NoSuchKey, and an empty one has no byte to serve.
  if (size === undefined || size === 0) return;
  const length = Number(suffix[1]);
  // `bytes=-0` requests no bytes, which S3 rejects with 416. A first byte past the end gets the same 416 from s3rver.
  const first = length === 0 ? size : Math.max(0, size - length);
  request.headers.range = `bytes=${first}-${size - 1}`;
}

/** Returns the bucket and key of a path-style object URL, or undefined for a bucket or service URL. */
function objectOf(url: string): { bucket: string; key: string } | undefined {
  const path = url.split('?')[0] ?? '/';
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  if (!match?.[1] || !match[2]) return undefined;
  return { bucket: decodeURIComponent(match[1]), key: decodeURIComponent(match[2]) };
}
