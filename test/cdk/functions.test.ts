import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/routes.js';
import {
  actionsOf,
  allowedTableActions,
  describeTableResource,
  functionIdForRoute,
  onlyResourceId,
  resourcesOf,
  roleIdOfFunction,
  statementsOfFunction,
  synthTemplate,
} from './synth.js';

const template = synthTemplate();
const withHttpProvider = synthTemplate({ accessProviderUrl: 'https://access.test.example/decide' });

const ROUTE_KEYS = ROUTES.map((route) => `${route.method} ${route.path}`);
/** WebSocket authorizer, $connect, $disconnect, four message routes, the posts and forum stream consumers and the fan-out worker. */
const REALTIME_HANDLER_COUNT = 10;
const READER_ROUTE = 'GET /api/mobile/channels/{channelId}/posts';
const PUBLISH_ROUTE = 'POST /api/admin/channels/{channelId}/posts';

const READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
];
const WRITE = ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const READ_AND_WRITE = [...new Set([...READ, ...WRITE])].sort();
const WRITE_ONLY_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** Index ARNs by route key, for the routes that query a secondary index. Every other route gets none. */
const QUERIED_INDEXES: Readonly<Record<string, readonly string[]>> = {
  'GET /api/mobile/channels/{channelId}/posts': ['posts/index/by_published_at'],
  'GET /api/admin/audit': ['audit/index/by_actor'],
  'GET /api/mobile/forums/{forumId}/topics': ['topics/index/by_activity'],
  'GET /api/mobile/topics/{topicId}/messages': ['messages/index/by_created_at'],
};

/** Routes that consult the access provider, which routes.ts marks by listing the access table in `reads`. */
const ACCESS_CHECKING_ROUTES = ROUTES.filter((route) => route.reads.includes('access')).map(
  (route) => `${route.method} ${route.path}`,
);
/** Each route key with the Lambda timeout routes.ts sets for it. */
const ROUTE_TIMEOUTS = ROUTES.map((route) => [`${route.method} ${route.path}`, route.timeoutSeconds] as const);

function environmentOf(source: typeof template, routeKey: string): Record<string, unknown> {
  const functionId = functionIdForRoute(source, routeKey);
  const resource = source.toJSON().Resources[functionId] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return resource.Properties.Environment.Variables;
}

function tableRef(id: string): { Ref: string } {
  const [logicalId] = Object.keys(
    template.findResources('AWS::DynamoDB::GlobalTable', { Properties: { TableName: `CommTest-${id}` } }),
  );
  return { Ref: logicalId as string };
}

describe('route functions', () => {
  it('creates one function per route and realtime handler', () => {
    template.resourceCountIs('AWS::Lambda::Function', ROUTES.length + REALTIME_HANDLER_COUNT);
  });

  it.each(ROUTE_TIMEOUTS)('%s runs Node.js 22 on arm64 with a %i s timeout', (routeKey, timeoutSeconds) => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: routeKey,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: timeoutSeconds,
    });
  });

  it.each(ROUTE_TIMEOUTS)('%s timeout is under the HTTP API limit', (_routeKey, timeoutSeconds) => {
    // API Gateway ends an HTTP API integration after 30 s, so the client never sees a later result.
    expect(timeoutSeconds).toBeLessThan(30);
  });

  it('media download route checks access', () => {
    expect(ACCESS_CHECKING_ROUTES).toContain(
      'POST /api/mobile/channels/{channelId}/posts/{postId}/attachments/{attachmentId}/url',
    );
  });

  it.each(ROUTE_KEYS)('%s logs JSON to a log group kept 30 days', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);
    const loggingConfig = (template.toJSON().Resources[functionId] as {
      Properties: { LoggingConfig: { LogFormat: string; LogGroup: { Ref: string } } };
    }).Properties.LoggingConfig;

    expect(loggingConfig.LogFormat).toBe('JSON');
    expect(template.toJSON().Resources[loggingConfig.LogGroup.Ref]).toEqual({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('log retention follows the logRetentionDays context', () => {
    const custom = synthTemplate({ logRetentionDays: 90 });

    // One log group per function, plus the HTTP API's access log group.
    expect(Object.keys(custom.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 90 } }))).toHaveLength(
      ROUTES.length + REALTIME_HANDLER_COUNT + 1,
    );
  });

  it('list-posts gets its tables, roles and provider settings', () => {
    const environment = environmentOf(template, READER_ROUTE);

    expect(environment).toEqual({
      ROLE_CLAIM: 'cognito:groups',
      ADMIN_GROUP: 'comm-admin',
      MODERATOR_GROUP: 'comm-moderator',
      CHANNELS_TABLE: tableRef('channels'),
      ACCESS_TABLE: tableRef('access'),
      POSTS_TABLE: tableRef('posts'),
      ACCESS_PROVIDER_TIMEOUT_MS: '1000',
      ACCESS_PROVIDER_CACHE_SECONDS: '30',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('publish-post gets its tables, media settings and no provider settings', () => {
    const environment = environmentOf(template, PUBLISH_ROUTE);

    expect(environment).toEqual({
      ROLE_CLAIM: 'cognito:groups',
      ADMIN_GROUP: 'comm-admin',
      MODERATOR_GROUP: 'comm-moderator',
      CHANNELS_TABLE: tableRef('channels'),
      POSTS_TABLE: tableRef('posts'),
      IDEMPOTENCY_TABLE: tableRef('idempotency'),
      AUDIT_TABLE: tableRef('audit'),
      ATTACHMENTS_TABLE: tableRef('attachments'),
      MEDIA_BUCKET: { Ref: onlyResourceId(template, 'AWS::S3::Bucket') },
      MEDIA_ALLOWED_TYPES: 'image/jpeg,image/png,image/gif,image/webp,video/mp4,audio/mpeg,audio/mp4,application/pdf',
      MEDIA_MAX_UPLOAD_BYTES: '52428800',
      MEDIA_URL_SECONDS: '60',
      MEDIA_UPLOAD_URL_SECONDS: '900',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('role settings follow the context', () => {
    const custom = synthTemplate({ roleClaim: 'roles', adminGroup: 'admins', moderatorGroup: 'mods' });

    const environment = environmentOf(custom, PUBLISH_ROUTE);

    expect(environment.ROLE_CLAIM).toBe('roles');
    expect(environment.ADMIN_GROUP).toBe('admins');
    expect(environment.MODERATOR_GROUP).toBe('mods');
  });

  it.each(ROUTE_KEYS)('%s variables name exactly the tables it may use', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);
    const environment = environmentOf(template, routeKey);

    const tablesInEnvironment = Object.keys(environment)
      .filter((name) => name.endsWith('_TABLE'))
      .map((name) => name.replace(/_TABLE$/, '').toLowerCase())
      .sort();
    const tablesInPolicy = Object.keys(allowedTableActions(template, functionId))
      .filter((name) => !name.includes('/index/'))
      .sort();

    expect(tablesInEnvironment).toEqual(tablesInPolicy);
  });
});

describe('route function permissions', () => {
  it('reader route only reads channels, access and posts', () => {
    const functionId = functionIdForRoute(template, READER_ROUTE);

    const granted = allowedTableActions(template, functionId);

    expect(granted).toEqual({
      channels: READ,
      access: READ,
      posts: READ,
      'posts/index/by_published_at': READ,
    });
  });

  it('publish route writes posts and channels', () => {
    const functionId = functionIdForRoute(template, PUBLISH_ROUTE);

    const granted = allowedTableActions(template, functionId);

    expect(granted).toEqual({
      channels: READ_AND_WRITE,
      posts: WRITE,
      idempotency: READ_AND_WRITE,
      audit: ['dynamodb:PutItem'],
      attachments: READ_AND_WRITE,
    });
  });

  it.each(ROUTE_KEYS)('%s gets only the indexes it queries', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);

    const indexes = Object.keys(allowedTableActions(template, functionId)).filter((name) => name.includes('/index/'));

    expect(indexes).toEqual(QUERIED_INDEXES[routeKey] ?? []);
  });

  it.each(ROUTE_KEYS.filter((routeKey) => routeKey.startsWith('GET ')))('%s has no write action', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);

    const granted = Object.values(allowedTableActions(template, functionId)).flat();

    expect(granted.filter((action) => WRITE_ONLY_ACTIONS.includes(action))).toEqual([]);
    expect(Object.keys(allowedTableActions(template, functionId))).not.toContain('idempotency');
  });

  it.each([
    ['GET /api/mobile/channels', undefined],
    ['GET /api/mobile/channels/{channelId}', undefined],
    ['GET /api/mobile/channels/{channelId}/posts', undefined],
    ['GET /api/mobile/channels/{channelId}/posts/{postId}', undefined],
    ['POST /api/admin/channels', ['dynamodb:PutItem']],
    ['PATCH /api/admin/channels/{channelId}', ['dynamodb:PutItem']],
    ['POST /api/admin/channels/{channelId}/posts', ['dynamodb:PutItem']],
    ['POST /api/admin/channels/{channelId}/posts/import', ['dynamodb:PutItem']],
    ['PATCH /api/admin/channels/{channelId}/posts/{postId}', ['dynamodb:PutItem']],
    ['DELETE /api/admin/channels/{channelId}/posts/{postId}', ['dynamodb:PutItem']],
    ['PUT /api/admin/access/{channelId}/users/{userId}', ['dynamodb:PutItem']],
    ['POST /api/admin/channels/{channelId}/uploads', ['dynamodb:PutItem']],
    ['POST /api/mobile/channels/{channelId}/posts/{postId}/attachments/{attachmentId}/url', undefined],
  ])('%s audit grant is %j', (routeKey, expectedAuditActions) => {
    const functionId = functionIdForRoute(template, routeKey);

    const granted = allowedTableActions(template, functionId);

    expect(granted.audit).toEqual(expectedAuditActions);
  });

  it.each(ROUTE_KEYS)('%s may delete no item', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);

    const granted = Object.values(allowedTableActions(template, functionId)).flat();

    expect(granted).not.toContain('dynamodb:DeleteItem');
    expect(granted).not.toContain('dynamodb:BatchWriteItem');
  });

  it.each(ROUTE_KEYS)('%s role denies audit updates and deletes', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);

    const denies = statementsOfFunction(template, functionId).filter((statement) => statement.Effect === 'Deny');

    expect(denies).toHaveLength(1);
    expect(actionsOf(denies[0]!).sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PartiQLDelete',
      'dynamodb:PartiQLUpdate',
      'dynamodb:UpdateItem',
    ]);
    expect(resourcesOf(denies[0]!).map((resource) => describeTableResource(template, resource))).toEqual(['audit']);
  });

  it.each(ROUTE_KEYS)('%s has no DynamoDB wildcard', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);

    const dynamoStatements = statementsOfFunction(template, functionId).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('dynamodb:') || action === '*'),
    );

    expect(dynamoStatements.length).toBeGreaterThan(0);
    for (const statement of dynamoStatements) {
      expect(actionsOf(statement)).not.toContain('dynamodb:*');
      expect(actionsOf(statement)).not.toContain('*');
      expect(resourcesOf(statement)).not.toContain('*');
      expect(resourcesOf(statement).map((resource) => describeTableResource(template, resource))).not.toContain('other');
    }
  });

  it.each(ROUTE_KEYS)('%s role has no managed policy and writes only its own logs', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);
    const roleId = roleIdOfFunction(template, functionId);
    const logGroupRef = (template.toJSON().Resources[functionId] as {
      Properties: { LoggingConfig: { LogGroup: { Ref: string } } };
    }).Properties.LoggingConfig.LogGroup.Ref;

    const logStatements = statementsOfFunction(template, functionId).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('logs:')),
    );

    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    expect(logStatements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupRef, 'Arn'] },
      },
    ]);
  });
});

describe('HTTP access provider', () => {
  it('creates no secret without accessProviderUrl', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('creates a retained generated secret with accessProviderUrl', () => {
    withHttpProvider.resourceCountIs('AWS::SecretsManager::Secret', 1);
    withHttpProvider.hasResource('AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } },
      DeletionPolicy: 'Retain',
    });
  });

  it.each(ROUTE_KEYS)('%s gets the secret only if it checks access', (routeKey) => {
    const checksAccess = ACCESS_CHECKING_ROUTES.includes(routeKey);
    const [secretId] = Object.keys(withHttpProvider.findResources('AWS::SecretsManager::Secret'));
    const functionId = functionIdForRoute(withHttpProvider, routeKey);

    const environment = environmentOf(withHttpProvider, routeKey);
    const secretStatements = statementsOfFunction(withHttpProvider, functionId).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
    );

    if (checksAccess) {
      expect(environment.ACCESS_PROVIDER_URL).toBe('https://access.test.example/decide');
      expect(environment.ACCESS_PROVIDER_SECRET_ARN).toEqual({ Ref: secretId });
      expect(secretStatements).toEqual([
        {
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: { Ref: secretId },
        },
      ]);
    } else {
      expect(environment.ACCESS_PROVIDER_URL).toBeUndefined();
      expect(environment.ACCESS_PROVIDER_SECRET_ARN).toBeUndefined();
      expect(secretStatements).toEqual([]);
    }
  });

  it('outputs the secret ARN', () => {
    const [secretId] = Object.keys(withHttpProvider.findResources('AWS::SecretsManager::Secret'));

    withHttpProvider.hasOutput('AccessProviderSecretArn', { Value: { Ref: secretId } });
  });

  it('passes timeout and cache settings from context', () => {
    const custom = synthTemplate({ accessProviderTimeoutMs: '1500', accessProviderCacheSeconds: 5 });

    const environment = environmentOf(custom, READER_ROUTE);

    expect(environment.ACCESS_PROVIDER_TIMEOUT_MS).toBe('1500');
    expect(environment.ACCESS_PROVIDER_CACHE_SECONDS).toBe('5');
  });
});
