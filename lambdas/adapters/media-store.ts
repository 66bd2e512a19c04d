import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { MediaSettings } from '../domain/media.js';

/** Query parameter that binds a download URL to its user; it is signed, so swapping it breaks the URL. */
export const USER_QUERY_PARAMETER = 'x-comm-user';
/** Object metadata that keeps the uploader's file name (URI-encoded, as S3 metadata is ASCII). */
const FILE_NAME_METADATA = 'file-name';

/** An uploaded attachment as HeadObject reports it. */
export interface StoredObject {
  readonly contentType: string;
  readonly size: number;
  readonly fileName: string;
}

export interface PresignedRequest {
  readonly url: string;
  readonly expiresAt: string;
}

/**
 * Creates the S3 client the media functions use. Presigned PUTs must not
 * carry a checksum of an empty body, so checksums are computed only when an
 * operation requires one.
 */
export function createMediaClient(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', ...config });
}

/**
 * Presigns a PUT bound to one key, content type and exact length: S3 rejects
 * an upload whose Content-Type or Content-Length differs from the signed
 * ones, which is how the size limit holds.
 */
export async function presignUpload(
  s3: S3Client,
  settings: MediaSettings,
  upload: { key: string; contentType: string; size: number; fileName: string },
  now: number,
): Promise<PresignedRequest & { headers: Record<string, string> }> {
  const command = new PutObjectCommand({
    Bucket: settings.bucket,
    Key: upload.key,
    ContentType: upload.contentType,
    ContentLength: upload.size,
    Metadata: { [FILE_NAME_METADATA]: encodeURIComponent(upload.fileName) },
  });
  const url = await getSignedUrl(s3, command, {
    expiresIn: settings.uploadUrlSeconds,
    signableHeaders: new Set(['content-type', 'content-length']),
  });
  return {
    url,
    headers: { 'content-type': upload.contentType, 'content-length': String(upload.size) },
    expiresAt: new Date(now + settings.uploadUrlSeconds * 1000).toISOString(),
  };
}

/** Reads an uploaded object's type, size and file name, or undefined when nothing was uploaded at the key. */
export async function headObject(s3: S3Client, settings: MediaSettings, key: string): Promise<StoredObject | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: key }));
    return {
      contentType: head.ContentType ?? 'application/octet-stream',
      size: head.ContentLength ?? 0,
      fileName: decodeFileName(head.Metadata?.[FILE_NAME_METADATA]),
    };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (error instanceof NotFound || status === 404) return undefined;
    throw error;
  }
}

/** Decodes the file-name metadata; an object written outside the presigned flow may carry none or a malformed one. */
function decodeFileName(encoded: string | undefined): string {
  if (!encoded) return 'attachment';
  try {
    return decodeURIComponent(encoded);
  } catch {
    return 'attachment';
  }
}

/**
 * Presigns a GET for one reader: the user id is a signed query parameter
 * (so it appears in S3 access logs and cannot be swapped), and the response
 * overrides make the object download as `private, no-store` under its name.
 */
export async function presignDownload(
  s3: S3Client,
  settings: MediaSettings,
  download: { key: string; userId: string; contentDisposition: string },
  now: number,
): Promise<PresignedRequest> {
  const command = new GetObjectCommand({
    Bucket: settings.bucket,
    Key: download.key,
    ResponseContentDisposition: download.contentDisposition,
    ResponseCacheControl: 'private, no-store',
  });
  // Added at the build step, before signing, so the parameter is in the canonical query string.
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { query?: Record<string, string> };
      request.query = { ...request.query, [USER_QUERY_PARAMETER]: download.userId };
      return next(args);
    },
    { step: 'build', name: 'addUserQueryParameter' },
  );
  const url = await getSignedUrl(s3, command, { expiresIn: settings.downloadUrlSeconds });
  return { url, expiresAt: new Date(now + settings.downloadUrlSeconds * 1000).toISOString() };
}

/** Deletes objects (a tombstoned post's attachments). The bucket is versioned, so old versions remain for recovery only. */
export async function deleteObjects(s3: S3Client, settings: MediaSettings, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const result = await s3.send(new DeleteObjectsCommand({ Bucket: settings.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
  if ((result.Errors ?? []).length > 0) {
    throw new Error(`Deleting ${result.Errors!.length} attachment objects failed: ${result.Errors!.map((error) => error.Code).join(', ')}`);
  }
}
