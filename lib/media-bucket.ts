import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership, type CorsRule } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CONTEXT_DEFAULTS, MAX_MEDIA_URL_SECONDS } from './config.js';
import type { MediaAccess } from './routes.js';

/**
 * Key prefix of every attachment. The media functions build keys as
 * `channels/<channelId>/attachments/<attachmentId>`, and grants name only
 * this prefix.
 */
export const MEDIA_KEY_PREFIX = 'channels/';

/**
 * Object actions per kind of media access. HeadObject and presigned GETs
 * are authorized as s3:GetObject, presigned PUTs as s3:PutObject, and
 * DeleteObjects as s3:DeleteObject on each key.
 */
export const MEDIA_OBJECT_ACTIONS: Readonly<Record<MediaAccess, readonly string[]>> = {
  read: ['s3:GetObject'],
  write: ['s3:PutObject'],
  delete: ['s3:DeleteObject'],
};

/**
 * Request headers a browser may send with a presigned PUT: the signed
 * content type and length, and `x-amz-*` headers. The media functions put
 * the signature and the file name metadata in the query string, but a client
 * may also send metadata or checksums as headers.
 */
export const MEDIA_CORS_ALLOWED_HEADERS = ['content-type', 'content-length', 'x-amz-*'] as const;

/** How long a browser may cache a preflight response, in seconds. */
const MEDIA_CORS_MAX_AGE_SECONDS = 3600;

/** Presigned uploads are single PUTs, so a multipart upload is never completed by this API. */
const ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 1;

/** Properties of {@link MediaBucket}. The defaults are those of the matching context keys. */
export interface MediaBucketProps {
  /**
   * Content types admins may upload, such as `image/png`.
   *
   * @default CONTEXT_DEFAULTS.mediaAllowedTypes (common image, audio and video types, and PDF)
   */
  readonly allowedTypes?: readonly string[];

  /**
   * Largest upload, in bytes.
   *
   * @default 52428800 (50 MiB)
   */
  readonly maxUploadBytes?: number;

  /**
   * Lifetime of a download URL, in seconds, from 1 to 300.
   *
   * @default 60
   */
  readonly urlSeconds?: number;

  /**
   * Lifetime of an upload URL, in seconds.
   *
   * @default 900
   */
  readonly uploadUrlSeconds?: number;

  /**
   * Browser origins that may PUT uploads with a presigned URL.
   *
   * @default - no CORS rule, so only clients that are not browsers can upload
   */
  readonly uploadOrigins?: readonly string[];

  /**
   * Days after which a noncurrent object version (a deleted or overwritten
   * attachment) is deleted for good.
   *
   * @default 30
   */
  readonly noncurrentVersionDays?: number;
}

/**
 * The private bucket for attachments, read and written only through
 * presigned URLs that the media functions issue. Public access is blocked,
 * requests without TLS 1.2 or later are denied, ACLs are disabled, and
 * versioning keeps deleted attachments recoverable for
 * `noncurrentVersionDays`. The bucket is retained when the stack is deleted,
 * because it stores paid content.
 *
 * Encryption is SSE-S3 rather than KMS, so a presigned URL works with the
 * signer's S3 permissions alone, and no request pays for a KMS call or
 * counts against a KMS request quota.
 *
 * NOTE: server access logging is off, so the signed `x-comm-user` parameter
 * of download URLs reaches no log until S3 server access logs or CloudTrail
 * data events are enabled for this bucket.
 *
 * @throws Error when `urlSeconds` is outside 1 to 300, or when an allowed
 *   type contains a comma, which MEDIA_ALLOWED_TYPES cannot carry.
 */
export class MediaBucket extends Construct {
  readonly bucket: Bucket;

  /** Variables every media function gets: MEDIA_BUCKET and the MEDIA_* settings. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: MediaBucketProps = {}) {
    super(scope, id);

    const allowedTypes = props.allowedTypes ?? CONTEXT_DEFAULTS.mediaAllowedTypes;
    const urlSeconds = props.urlSeconds ?? CONTEXT_DEFAULTS.mediaUrlSeconds;
    assertValidSettings(allowedTypes, urlSeconds);

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      // Adds bucket policy Deny statements for requests without TLS and for TLS before 1.2.
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      cors: uploadCors(props.uploadOrigins ?? []),
      lifecycleRules: [
        {
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS),
        },
        {
          id: 'ExpireNoncurrentVersions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? CONTEXT_DEFAULTS.mediaNoncurrentVersionDays),
          // A delete marker whose older versions have all expired hides nothing, so it goes too.
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });

    this.environment = {
      MEDIA_BUCKET: this.bucket.bucketName,
      MEDIA_ALLOWED_TYPES: allowedTypes.join(','),
      MEDIA_MAX_UPLOAD_BYTES: String(props.maxUploadBytes ?? CONTEXT_DEFAULTS.mediaMaxUploadBytes),
      MEDIA_URL_SECONDS: String(urlSeconds),
      MEDIA_UPLOAD_URL_SECONDS: String(props.uploadUrlSeconds ?? CONTEXT_DEFAULTS.mediaUploadUrlSeconds),
    };
  }

  /**
   * Builds the statements for one function's media access: the object
   * actions of each kind in `access`, on `channels/*` only. Read access also
   * gets s3:ListBucket on the bucket, because without it HeadObject of a
   * key that was never uploaded returns 403 instead of 404, and the media
   * functions treat only 404 as "never uploaded".
   * An empty list returns no statement.
   */
  accessStatements(access: readonly MediaAccess[]): PolicyStatement[] {
    const kinds = [...new Set(access)];
    const objectsArn = this.bucket.arnForObjects(`${MEDIA_KEY_PREFIX}*`);

    const statements = kinds.map(
      (kind) =>
        new PolicyStatement({
          sid: `${capitalize(kind)}MediaObjects`,
          actions: [...MEDIA_OBJECT_ACTIONS[kind]],
          resources: [objectsArn],
        }),
    );

    if (kinds.includes('read')) {
      // Unconditioned: a HeadObject is not a list request, so an s3:prefix
      // condition may not apply to it, and every key is under channels/
      // anyway. The functions never list; this only turns 403 into 404.
      statements.push(
        new PolicyStatement({
          sid: 'ListMediaKeys',
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
        }),
      );
    }

    return statements;
  }
}

function uploadCors(origins: readonly string[]): CorsRule[] | undefined {
  if (origins.length === 0) return undefined;

  return [
    {
      id: 'PresignedUploads',
      allowedOrigins: [...origins],
      allowedMethods: [HttpMethods.PUT, HttpMethods.HEAD],
      allowedHeaders: [...MEDIA_CORS_ALLOWED_HEADERS],
      maxAge: MEDIA_CORS_MAX_AGE_SECONDS,
    },
  ];
}

function assertValidSettings(allowedTypes: readonly string[], urlSeconds: number): void {
  if (!Number.isInteger(urlSeconds) || urlSeconds < 1 || urlSeconds > MAX_MEDIA_URL_SECONDS) {
    throw new Error(
      `MediaBucket urlSeconds must be an integer from 1 to ${MAX_MEDIA_URL_SECONDS}, got ${urlSeconds}. The media functions reject a download URL lifetime over ${MAX_MEDIA_URL_SECONDS} seconds.`,
    );
  }

  const withComma = allowedTypes.find((type) => type.includes(','));
  if (withComma !== undefined) {
    throw new Error(
      `MediaBucket allowedTypes entry ${JSON.stringify(withComma)} contains a comma, but MEDIA_ALLOWED_TYPES is comma-separated. List each content type as its own entry.`,
    );
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
