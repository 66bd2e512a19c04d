import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import * as lambdaMedia from '../../lambdas/domain/media.js';
import { CONTEXT_DEFAULTS, MAX_MEDIA_URL_SECONDS } from '../../lib/config.js';
import { MediaBucket } from '../../lib/media-bucket.js';
import { ROUTES } from '../../lib/routes.js';
import {
  actionsOf,
  allStatements,
  environmentOfFunction,
  functionIdForRoute,
  onlyResourceId,
  resourcesOf,
  roleIdOfFunction,
  statementsOfFunction,
  synthTemplate,
  type TemplateStatement,
} from './synth.js';

const template = synthTemplate();

const PUBLISH = 'POST /api/admin/channels/{channelId}/posts';
const IMPORT = 'POST /api/admin/channels/{channelId}/posts/import';
const DELETE = 'DELETE /api/admin/channels/{channelId}/posts/{postId}';
const CREATE_UPLOAD = 'POST /api/admin/channels/{channelId}/uploads';
const ATTACHMENT_URL = 'POST /api/mobile/channels/{channelId}/posts/{postId}/attachments/{attachmentId}/url';
const LIST_CHANNELS = 'GET /api/mobile/channels';

const ROUTE_KEYS = ROUTES.map((route) => `${route.method} ${route.path}`);
const MEDIA_ROUTE_KEYS = [PUBLISH, IMPORT, DELETE, CREATE_UPLOAD, ATTACHMENT_URL];
const NON_MEDIA_ROUTE_KEYS = ROUTE_KEYS.filter((routeKey) => !MEDIA_ROUTE_KEYS.includes(routeKey));

const DEFAULT_TYPES = 'image/jpeg,image/png,image/gif,image/webp,video/mp4,audio/mpeg,audio/mp4,application/pdf';

function bucketId(source: Template): string {
  return onlyResourceId(source, 'AWS::S3::Bucket');
}

function bucketResource(source: Template): { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string } {
  return source.toJSON().Resources[bucketId(source)];
}

function bucketArn(source: Template): unknown {
  return { 'Fn::GetAtt': [bucketId(source), 'Arn'] };
}

function objectsArn(source: Template, suffix: string): unknown {
  return { 'Fn::Join': ['', [bucketArn(source), suffix]] };
}

/** Statements of the function's role that name any S3 action. */
function s3StatementsOf(source: Template, routeKey: string): TemplateStatement[] {
  return statementsOfFunction(source, functionIdForRoute(source, routeKey)).filter((statement) =>
    actionsOf(statement).some((action) => action.startsWith('s3:')),
  );
}

describe('media bucket', () => {
  it('is the only bucket', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
  });

  it('blocks every kind of public access', () => {
    expect(bucketResource(template).Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('is versioned', () => {
    expect(bucketResource(template).Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('encrypts with S3-managed keys', () => {
    expect(bucketResource(template).Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('disables ACLs', () => {
    expect(bucketResource(template).Properties.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
  });

  it('is retained with the stack', () => {
    const bucket = bucketResource(template);

    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
  });

  it('has no bucket name, tags or auto-delete custom resource', () => {
    const properties = bucketResource(template).Properties;

    expect(properties.BucketName).toBeUndefined();
    expect(properties.Tags).toBeUndefined();
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it.each([
    [{}, 30],
    [{ mediaNoncurrentVersionDays: 7 }, 7],
    [{ mediaNoncurrentVersionDays: '90' }, 90],
  ])('lifecycle rules with context %j keep noncurrent versions %i days', (context, days) => {
    const source = synthTemplate(context);

    expect(bucketResource(source).Properties.LifecycleConfiguration).toEqual({
      Rules: [
        { Id: 'AbortIncompleteMultipartUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
        {
          Id: 'ExpireNoncurrentVersions',
          NoncurrentVersionExpiration: { NoncurrentDays: days },
          ExpiredObjectDeleteMarker: true,
          Status: 'Enabled',
        },
      ],
    });
  });

  it('has no CORS rule without mediaUploadOrigins', () => {
    expect(bucketResource(template).Properties.CorsConfiguration).toBeUndefined();
  });

  it('allows presigned PUTs from mediaUploadOrigins', () => {
    const source = synthTemplate({ mediaUploadOrigins: 'https://admin.example.com, http://localhost:5173' });

    expect(bucketResource(source).Properties.CorsConfiguration).toEqual({
      CorsRules: [
        {
          Id: 'PresignedUploads',
          AllowedOrigins: ['https://admin.example.com', 'http://localhost:5173'],
          AllowedMethods: ['PUT', 'HEAD'],
          AllowedHeaders: ['content-type', 'content-length', 'x-amz-*'],
          MaxAge: 3600,
        },
      ],
    });
  });

  it('bucket policy denies requests without TLS 1.2', () => {
    const resources = [bucketArn(template), objectsArn(template, '/*')];

    const policyId = onlyResourceId(template, 'AWS::S3::BucketPolicy');

    expect(template.toJSON().Resources[policyId].Properties).toEqual({
      Bucket: { Ref: bucketId(template) },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: resources,
          },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            Resource: resources,
          },
        ],
      },
    });
  });

  it('outputs the bucket name', () => {
    template.hasOutput('MediaBucketName', { Value: { Ref: bucketId(template) } });
  });
});

describe('media permissions', () => {
  it.each([
    [PUBLISH, ['s3:GetObject', 's3:ListBucket']],
    [IMPORT, ['s3:GetObject', 's3:ListBucket']],
    [DELETE, ['s3:DeleteObject']],
    [CREATE_UPLOAD, ['s3:PutObject']],
    [ATTACHMENT_URL, ['s3:GetObject', 's3:ListBucket']],
  ])('%s may use exactly %j', (routeKey, expectedActions) => {
    const statements = s3StatementsOf(template, routeKey);

    expect(statements.flatMap(actionsOf).sort()).toEqual(expectedActions);
    expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
  });

  it.each([
    [PUBLISH, 'ReadMediaObjects', 's3:GetObject'],
    [IMPORT, 'ReadMediaObjects', 's3:GetObject'],
    [ATTACHMENT_URL, 'ReadMediaObjects', 's3:GetObject'],
    [CREATE_UPLOAD, 'WriteMediaObjects', 's3:PutObject'],
    [DELETE, 'DeleteMediaObjects', 's3:DeleteObject'],
  ])('%s %s names only channels/*', (routeKey, sid, action) => {
    const statement = s3StatementsOf(template, routeKey).find((candidate) => candidate.Sid === sid);

    expect(statement).toEqual({
      Sid: sid,
      Effect: 'Allow',
      Action: action,
      Resource: objectsArn(template, '/channels/*'),
    });
  });

  it.each([PUBLISH, IMPORT, ATTACHMENT_URL])('%s may list the media bucket', (routeKey) => {
    const statement = s3StatementsOf(template, routeKey).find((candidate) => candidate.Sid === 'ListMediaKeys');

    // Lets HeadObject of a key that was never uploaded return 404 rather than 403.
    expect(statement).toEqual({
      Sid: 'ListMediaKeys',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucketArn(template),
    });
  });

  it.each(NON_MEDIA_ROUTE_KEYS)('%s has no S3 action', (routeKey) => {
    const statements = s3StatementsOf(template, routeKey);

    expect(statements).toEqual([]);
  });

  it('list-channels has no S3 action', () => {
    expect(NON_MEDIA_ROUTE_KEYS).toContain(LIST_CHANNELS);
    expect(s3StatementsOf(template, LIST_CHANNELS)).toEqual([]);
  });

  it('only media route roles name S3 at all', () => {
    const mediaRoleIds = MEDIA_ROUTE_KEYS.map((routeKey) => roleIdOfFunction(template, functionIdForRoute(template, routeKey)));

    const rolesWithS3 = allStatements(template)
      .filter(({ statement }) => actionsOf(statement).some((action) => action.startsWith('s3:') || action === '*'))
      .flatMap(({ roleIds }) => roleIds);

    expect([...new Set(rolesWithS3)].sort()).toEqual([...mediaRoleIds].sort());
  });

  it('no role gets an S3 wildcard', () => {
    const s3Statements = allStatements(template)
      .map(({ statement }) => statement)
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:')));

    // Two for each of the three read routes, one each for upload and delete.
    expect(s3Statements).toHaveLength(8);
    for (const statement of s3Statements) {
      expect(actionsOf(statement)).not.toContain('s3:*');
      expect(resourcesOf(statement)).not.toContain('*');
    }
  });
});

describe('media function environment', () => {
  it('download function gets the defaults', () => {
    const environment = environmentOfFunction(template, functionIdForRoute(template, ATTACHMENT_URL));

    expect(Object.fromEntries(Object.entries(environment).filter(([name]) => name.startsWith('MEDIA_')))).toEqual({
      MEDIA_BUCKET: { Ref: bucketId(template) },
      MEDIA_ALLOWED_TYPES: DEFAULT_TYPES,
      MEDIA_MAX_UPLOAD_BYTES: '52428800',
      MEDIA_URL_SECONDS: '60',
      MEDIA_UPLOAD_URL_SECONDS: '900',
    });
  });

  it('upload function gets the context settings', () => {
    const source = synthTemplate({
      mediaAllowedTypes: ['Image/PNG', 'application/pdf'],
      mediaMaxUploadBytes: 1048576,
      mediaUrlSeconds: 300,
      mediaUploadUrlSeconds: '600',
    });

    const environment = environmentOfFunction(source, functionIdForRoute(source, CREATE_UPLOAD));

    expect(Object.fromEntries(Object.entries(environment).filter(([name]) => name.startsWith('MEDIA_')))).toEqual({
      MEDIA_BUCKET: { Ref: bucketId(source) },
      MEDIA_ALLOWED_TYPES: 'image/png,application/pdf',
      MEDIA_MAX_UPLOAD_BYTES: '1048576',
      MEDIA_URL_SECONDS: '300',
      MEDIA_UPLOAD_URL_SECONDS: '600',
    });
  });

  it.each(MEDIA_ROUTE_KEYS)('%s gets every MEDIA_ variable', (routeKey) => {
    const environment = environmentOfFunction(template, functionIdForRoute(template, routeKey));

    expect(Object.keys(environment).filter((name) => name.startsWith('MEDIA_')).sort()).toEqual([
      'MEDIA_ALLOWED_TYPES',
      'MEDIA_BUCKET',
      'MEDIA_MAX_UPLOAD_BYTES',
      'MEDIA_UPLOAD_URL_SECONDS',
      'MEDIA_URL_SECONDS',
    ]);
  });

  it.each(NON_MEDIA_ROUTE_KEYS)('%s gets no MEDIA_ variable', (routeKey) => {
    const environment = environmentOfFunction(template, functionIdForRoute(template, routeKey));

    expect(Object.keys(environment).filter((name) => name.startsWith('MEDIA_'))).toEqual([]);
  });
});

describe('media settings', () => {
  it('mediaUrlSeconds over 300 fails synth', () => {
    const build = () => synthTemplate({ mediaUrlSeconds: 301 });

    expect(build).toThrowError(
      [
        'Invalid CDK context for the communication layer stack:',
        '  - "mediaUrlSeconds" must be an integer from 1 to 300, got 301.',
        'Set each key under "context" in cdk.json or pass -c KEY=VALUE to cdk.',
      ].join('\n'),
    );
  });

  it('defaults match the media functions', () => {
    expect(CONTEXT_DEFAULTS.mediaAllowedTypes).toEqual(lambdaMedia.DEFAULT_ALLOWED_CONTENT_TYPES);
    expect(CONTEXT_DEFAULTS.mediaMaxUploadBytes).toBe(lambdaMedia.DEFAULT_MAX_UPLOAD_BYTES);
    expect(CONTEXT_DEFAULTS.mediaUrlSeconds).toBe(lambdaMedia.DEFAULT_DOWNLOAD_URL_SECONDS);
    expect(CONTEXT_DEFAULTS.mediaUploadUrlSeconds).toBe(lambdaMedia.DEFAULT_UPLOAD_URL_SECONDS);
    expect(MAX_MEDIA_URL_SECONDS).toBe(lambdaMedia.MAX_DOWNLOAD_URL_SECONDS);
  });
});

describe('MediaBucket', () => {
  it.each([0, 301, 1.5])('rejects urlSeconds %j', (urlSeconds) => {
    const create = () => new MediaBucket(new Stack(new App(), 'Test'), 'Media', { urlSeconds });

    expect(create).toThrowError(
      `MediaBucket urlSeconds must be an integer from 1 to 300, got ${urlSeconds}. The media functions reject a download URL lifetime over 300 seconds.`,
    );
  });

  it('rejects a content type with a comma', () => {
    const create = () => new MediaBucket(new Stack(new App(), 'Test'), 'Media', { allowedTypes: ['image/png,image/gif'] });

    expect(create).toThrowError(
      'MediaBucket allowedTypes entry "image/png,image/gif" contains a comma, but MEDIA_ALLOWED_TYPES is comma-separated. List each content type as its own entry.',
    );
  });

  it('returns no statement for no access', () => {
    const media = new MediaBucket(new Stack(new App(), 'Test'), 'Media');

    expect(media.accessStatements([])).toEqual([]);
  });
});
