import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/routes.js';
import {
  actionsOf,
  allStatements,
  allowedTableActions,
  buildStack,
  describeTableResource,
  environmentOfFunction,
  functionIdByDescription,
  functionIdForRoute,
  onlyResourceId,
  resourcesOf,
  roleIdOfFunction,
  statementsOfFunction,
  synthTemplate,
} from './synth.js';

const template = synthTemplate();

const FORUM_STREAM = 'Topics and messages table stream consumer';

const READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
];
const WRITE = ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const READ_AND_WRITE = [...new Set([...READ, ...WRITE])].sort();
const APPEND_AUDIT = ['dynamodb:PutItem'];
const GET = ['dynamodb:GetItem'];
const STREAM_READ = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

/** SQS's maximum retention, 14 days in seconds. */
const FOURTEEN_DAYS_SECONDS = 1_209_600;

function tableLogicalId(source: Template, id: string): string {
  return onlyResourceId(source, 'AWS::DynamoDB::GlobalTable', { TableName: `CommTest-${id}` });
}

function queueId(prefix: string): string {
  const ids = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe('forum tables', () => {
  it.each([
    ['ForumsTableName', 'forums'],
    ['TopicsTableName', 'topics'],
    ['MessagesTableName', 'messages'],
    ['PostingStateTableName', 'posting_state'],
  ])('output %s names the %s table', (outputName, id) => {
    template.hasOutput(outputName, { Value: { Ref: tableLogicalId(template, id) } });
  });
});

/**
 * The DynamoDB actions each forum route's function gets, by table or index.
 * Written out rather than derived from routes.ts, so a change to a route's
 * tables shows up here as a failing expectation.
 */
const FORUM_ROUTE_GRANTS: ReadonlyArray<readonly [string, string, Record<string, string[]>]> = [
  [
    'create-forum',
    'POST /api/admin/forums',
    { channels: READ, forums: WRITE, idempotency: READ_AND_WRITE, audit: APPEND_AUDIT },
  ],
  ['list-forums', 'GET /api/mobile/forums', { forums: READ, channels: READ, access: READ }],
  [
    'list-topics',
    'GET /api/mobile/forums/{forumId}/topics',
    { forums: READ, channels: READ, access: READ, topics: READ, 'topics/index/by_activity': READ },
  ],
  [
    'create-topic',
    'POST /api/mobile/forums/{forumId}/topics',
    {
      forums: READ,
      channels: READ,
      access: READ,
      posts: READ,
      topics: READ_AND_WRITE,
      messages: READ_AND_WRITE,
      idempotency: READ_AND_WRITE,
      posting_state: READ_AND_WRITE,
    },
  ],
  ['get-topic', 'GET /api/mobile/topics/{topicId}', { forums: READ, channels: READ, access: READ, topics: READ }],
  [
    'list-messages',
    'GET /api/mobile/topics/{topicId}/messages',
    { forums: READ, channels: READ, access: READ, topics: READ, messages: READ, 'messages/index/by_created_at': READ },
  ],
  [
    'post-message',
    'POST /api/mobile/topics/{topicId}/messages',
    {
      forums: READ,
      channels: READ,
      access: READ,
      topics: READ_AND_WRITE,
      messages: READ_AND_WRITE,
      idempotency: READ_AND_WRITE,
      posting_state: READ_AND_WRITE,
    },
  ],
  [
    'edit-message',
    'PATCH /api/mobile/topics/{topicId}/messages/{messageId}',
    { forums: READ, channels: READ, access: READ, topics: READ, messages: READ_AND_WRITE, posting_state: READ_AND_WRITE },
  ],
  [
    'delete-message',
    'DELETE /api/mobile/topics/{topicId}/messages/{messageId}',
    { topics: READ_AND_WRITE, messages: READ_AND_WRITE, audit: APPEND_AUDIT },
  ],
  ['lock-topic', 'PUT /api/admin/topics/{topicId}/lock', { topics: READ_AND_WRITE, audit: APPEND_AUDIT }],
  ['pin-topic', 'PUT /api/admin/topics/{topicId}/pin', { topics: READ_AND_WRITE, audit: APPEND_AUDIT }],
  ['set-slow-mode', 'PUT /api/admin/topics/{topicId}/slow-mode', { topics: READ_AND_WRITE, audit: APPEND_AUDIT }],
  [
    'mute-user',
    'PUT /api/admin/forums/{forumId}/mutes/{userId}',
    { forums: READ, posting_state: READ_AND_WRITE, audit: APPEND_AUDIT },
  ],
  [
    'unmute-user',
    'DELETE /api/admin/forums/{forumId}/mutes/{userId}',
    { forums: READ, posting_state: READ_AND_WRITE, audit: APPEND_AUDIT },
  ],
];
const FORUM_ROUTE_KEYS = FORUM_ROUTE_GRANTS.map(([, routeKey]) => routeKey);

/** Routes whose handlers apply the posting rules and so read the FORUM_* variables. */
const POSTING_RULE_ROUTES = [
  'POST /api/mobile/forums/{forumId}/topics',
  'POST /api/mobile/topics/{topicId}/messages',
  'PATCH /api/mobile/topics/{topicId}/messages/{messageId}',
];

/** Routes that may touch posting_state: the posting rules, and moderators muting and unmuting. */
const POSTING_STATE_ROUTES = [
  ...POSTING_RULE_ROUTES,
  'PUT /api/admin/forums/{forumId}/mutes/{userId}',
  'DELETE /api/admin/forums/{forumId}/mutes/{userId}',
];

const FORUM_VARIABLES = ['FORUM_EDIT_WINDOW_HOURS', 'FORUM_RATE_LIMIT_MESSAGES', 'FORUM_RATE_LIMIT_WINDOW_SECONDS'];

function httpApiRef(): { Ref: string } {
  return { Ref: onlyResourceId(template, 'AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' }) };
}

function roleOfRoute(routeKey: string): string {
  return roleIdOfFunction(template, functionIdForRoute(template, routeKey));
}

describe('forum routes', () => {
  it('routes.ts lists the fourteen forum routes', () => {
    const routeKeys = ROUTES.map((route) => `${route.method} ${route.path}`);

    expect(routeKeys.filter((routeKey) => FORUM_ROUTE_KEYS.includes(routeKey))).toEqual(FORUM_ROUTE_KEYS);
    expect(ROUTES).toHaveLength(14 + FORUM_ROUTE_KEYS.length);
  });

  it.each(FORUM_ROUTE_GRANTS)('%s route %s sits behind the JWT authorizer', (handler, routeKey) => {
    const authorizerId = onlyResourceId(template, 'AWS::ApiGatewayV2::Authorizer', { ApiId: httpApiRef() });

    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: httpApiRef(),
      RouteKey: routeKey,
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizerId },
    });
    expect(ROUTES.find((route) => `${route.method} ${route.path}` === routeKey)?.handler).toBe(handler);
  });

  it.each(FORUM_ROUTE_GRANTS)('%s DynamoDB grants are exact', (_handler, routeKey, expected) => {
    const functionId = functionIdForRoute(template, routeKey);

    const granted = allowedTableActions(template, functionId);

    expect(granted).toEqual(expected);
  });

  it.each(FORUM_ROUTE_KEYS)('%s denies audit changes, no media, no sockets', (routeKey) => {
    const statements = statementsOfFunction(template, functionIdForRoute(template, routeKey));

    const denies = statements.filter((statement) => statement.Effect === 'Deny');
    const otherServices = statements
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap(actionsOf)
      .filter((action) => !action.startsWith('dynamodb:') && !action.startsWith('logs:'));

    expect(denies).toHaveLength(1);
    expect(resourcesOf(denies[0]!).map((resource) => describeTableResource(template, resource))).toEqual(['audit']);
    expect(otherServices).toEqual([]);
  });

  it.each(FORUM_ROUTE_KEYS)('%s has no media variables', (routeKey) => {
    const environment = environmentOfFunction(template, functionIdForRoute(template, routeKey));

    expect(Object.keys(environment).filter((name) => name.startsWith('MEDIA_'))).toEqual([]);
  });

  it('delete-message cannot read the access table', () => {
    const functionId = functionIdForRoute(template, 'DELETE /api/mobile/topics/{topicId}/messages/{messageId}');

    const environment = environmentOfFunction(template, functionId);

    expect(Object.keys(allowedTableActions(template, functionId))).not.toContain('access');
    expect(environment.ACCESS_TABLE).toBeUndefined();
    expect(environment.ACCESS_PROVIDER_TIMEOUT_MS).toBeUndefined();
  });

  it('only posting and muting functions touch posting_state', () => {
    const expectedRoles = POSTING_STATE_ROUTES.map(roleOfRoute).sort();

    const roles = allStatements(template)
      .filter(({ statement }) =>
        resourcesOf(statement).some((resource) => describeTableResource(template, resource).startsWith('posting_state')),
      )
      .flatMap(({ roleIds }) => roleIds);

    expect([...new Set(roles)].sort()).toEqual(expectedRoles);
  });
});

describe('forum posting settings', () => {
  it.each(POSTING_RULE_ROUTES)('%s gets the default FORUM_* variables', (routeKey) => {
    const environment = environmentOfFunction(template, functionIdForRoute(template, routeKey));

    expect(environment.FORUM_EDIT_WINDOW_HOURS).toBe('48');
    expect(environment.FORUM_RATE_LIMIT_MESSAGES).toBe('10');
    expect(environment.FORUM_RATE_LIMIT_WINDOW_SECONDS).toBe('60');
  });

  it('no other function gets them', () => {
    const expectedFunctions = POSTING_RULE_ROUTES.map((routeKey) => functionIdForRoute(template, routeKey)).sort();

    const withForumVariables = Object.keys(template.findResources('AWS::Lambda::Function')).filter((functionId) =>
      Object.keys(environmentOfFunction(template, functionId)).some((name) => FORUM_VARIABLES.includes(name)),
    );

    expect(withForumVariables.sort()).toEqual(expectedFunctions);
  });

  it('context sets the variables', () => {
    const custom = synthTemplate({ forumEditWindowHours: 2, forumRateLimitMessages: '0', forumRateLimitWindowSeconds: 3600 });

    const environment = environmentOfFunction(custom, functionIdForRoute(custom, 'POST /api/mobile/topics/{topicId}/messages'));

    expect(environment.FORUM_EDIT_WINDOW_HOURS).toBe('2');
    expect(environment.FORUM_RATE_LIMIT_MESSAGES).toBe('0');
    expect(environment.FORUM_RATE_LIMIT_WINDOW_SECONDS).toBe('3600');
  });

  it.each([
    ['forumEditWindowHours', 0, '"forumEditWindowHours" must be an integer at least 1, got 0.'],
    ['forumRateLimitMessages', -1, '"forumRateLimitMessages" must be an integer at least 0, got -1.'],
    ['forumRateLimitWindowSeconds', 'a minute', '"forumRateLimitWindowSeconds" must be an integer at least 1, got "a minute".'],
  ])('synth rejects %s = %j', (key, value, expectedProblem) => {
    const build = () => buildStack({ [key]: value });

    expect(build).toThrowError(`  - ${expectedProblem}`);
  });
});

describe('forum stream consumer', () => {
  it.each(['topics', 'messages'])('maps the %s stream with retries and DLQ', (tableId) => {
    const functionId = functionIdByDescription(template, FORUM_STREAM);
    const streamArn = { 'Fn::GetAtt': [tableLogicalId(template, tableId), 'StreamArn'] };
    const mappingId = onlyResourceId(template, 'AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId },
      EventSourceArn: streamArn,
    });

    const mapping = (template.toJSON().Resources[mappingId] as { Properties: Record<string, unknown> }).Properties;

    expect(mapping).toEqual({
      FunctionName: { Ref: functionId },
      EventSourceArn: streamArn,
      StartingPosition: 'LATEST',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId('DeliveryStreamForumsDeadLetterQueue'), 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT","MODIFY"]}' }] },
    });
  });

  it('has exactly two event sources', () => {
    const functionId = functionIdByDescription(template, FORUM_STREAM);

    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: functionId } } });

    expect(Object.keys(mappings)).toHaveLength(2);
  });

  it('dead-letter queue is its own, encrypted, 14 days', () => {
    const forumQueueId = queueId('DeliveryStreamForumsDeadLetterQueue');

    const properties = (template.toJSON().Resources[forumQueueId] as { Properties: Record<string, unknown> }).Properties;

    expect(forumQueueId).not.toBe(queueId('DeliveryStreamPostsDeadLetterQueue'));
    expect(properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: FOURTEEN_DAYS_SECONDS });
  });

  it('DynamoDB grants are exact', () => {
    const functionId = functionIdByDescription(template, FORUM_STREAM);

    const granted = allowedTableActions(template, functionId);

    expect(granted).toEqual({
      topics: GET,
      forums: GET,
      channels: GET,
      access: GET,
      connections: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      'connections/index/by_connection': ['dynamodb:Query'],
      'topics/stream': STREAM_READ,
      'messages/stream': STREAM_READ,
    });
  });

  it('other grants: DLQ, fan-out queue, bus, sockets', () => {
    const webSocketApiId = onlyResourceId(template, 'AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' });

    const otherGrants = statementsOfFunction(template, functionIdByDescription(template, FORUM_STREAM))
      .filter((statement) => actionsOf(statement).every((action) => !action.startsWith('dynamodb:') && !action.startsWith('logs:')))
      .map((statement) => ({ actions: actionsOf(statement), resources: resourcesOf(statement) }));

    expect(otherGrants).toEqual([
      {
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [{ 'Fn::GetAtt': [queueId('DeliveryStreamForumsDeadLetterQueue'), 'Arn'] }],
      },
      { actions: ['sqs:SendMessage'], resources: [{ 'Fn::GetAtt': [queueId('DeliveryFanoutQueue'), 'Arn'] }] },
      {
        actions: ['events:PutEvents'],
        resources: [{ 'Fn::GetAtt': [onlyResourceId(template, 'AWS::Events::EventBus'), 'Arn'] }],
      },
      {
        actions: ['execute-api:ManageConnections'],
        resources: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':execute-api:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':',
                { Ref: webSocketApiId },
                '/live/*/@connections/*',
              ],
            ],
          },
        ],
      },
    ]);
  });

  it('gets its tables, the queue, endpoint and bus', () => {
    const environment = environmentOfFunction(template, functionIdByDescription(template, FORUM_STREAM));

    expect(Object.keys(environment).sort()).toEqual(
      [
        'ROLE_CLAIM',
        'ADMIN_GROUP',
        'MODERATOR_GROUP',
        'TOPICS_TABLE',
        'FORUMS_TABLE',
        'CHANNELS_TABLE',
        'ACCESS_TABLE',
        'CONNECTIONS_TABLE',
        'ACCESS_PROVIDER_TIMEOUT_MS',
        'ACCESS_PROVIDER_CACHE_SECONDS',
        'NODE_OPTIONS',
        'FANOUT_QUEUE_URL',
        'WEBSOCKET_MANAGEMENT_ENDPOINT',
        'EVENT_BUS_NAME',
      ].sort(),
    );
    expect(environment.FANOUT_QUEUE_URL).toEqual({ Ref: queueId('DeliveryFanoutQueue') });
    expect(environment.TOPICS_TABLE).toEqual({ Ref: tableLogicalId(template, 'topics') });
  });
});
