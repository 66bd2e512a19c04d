import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  actionsOf,
  allStatements,
  allowedTableActions,
  describeTableResource,
  environmentOfFunction,
  functionIdByDescription,
  onlyResourceId,
  resourcesOf,
  roleIdOfFunction,
  statementsOfFunction,
  statementsOfRole,
  synthTemplate,
} from './synth.js';

const template = synthTemplate();
const withHttpProvider = synthTemplate({ accessProviderUrl: 'https://access.test.example/decide' });

const AUTHORIZER = 'WebSocket $connect authorizer';
const CONNECT = 'WebSocket $connect';
const DISCONNECT = 'WebSocket $disconnect';
const SUBSCRIBE = 'WebSocket subscribe';
const UNSUBSCRIBE = 'WebSocket unsubscribe';
const PING = 'WebSocket ping';
const DEFAULT = 'WebSocket $default';
const STREAM = 'Posts table stream consumer';
const FORUM_STREAM = 'Topics and messages table stream consumer';
const WORKER = 'Fan-out queue consumer';

/** Description and timeout in seconds of every realtime function. */
const REALTIME_FUNCTIONS = [
  [AUTHORIZER, 10],
  [CONNECT, 10],
  [DISCONNECT, 10],
  [SUBSCRIBE, 10],
  [UNSUBSCRIBE, 10],
  [PING, 10],
  [DEFAULT, 10],
  [STREAM, 60],
  [FORUM_STREAM, 60],
  [WORKER, 30],
] as const;
const DESCRIPTIONS = REALTIME_FUNCTIONS.map(([description]) => description);

/** Functions that call the access provider. */
const ACCESS_CHECKERS: readonly string[] = [SUBSCRIBE, STREAM, FORUM_STREAM, WORKER];

/** Functions that send deltas: they get the management endpoint, the bus name and ManageConnections. */
const DELIVERY_FUNCTIONS: readonly string[] = [STREAM, FORUM_STREAM, WORKER];

/** Stream consumers: they publish integration events and queue fan-out batches. */
const STREAM_CONSUMERS: readonly string[] = [STREAM, FORUM_STREAM];

const GET = ['dynamodb:GetItem'];
const QUERY = ['dynamodb:Query'];
const STREAM_READ = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];
const AUDIT_DENIED = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLUpdate',
  'dynamodb:UpdateItem',
];

const ROLE_SETTINGS = { ROLE_CLAIM: 'cognito:groups', ADMIN_GROUP: 'comm-admin', MODERATOR_GROUP: 'comm-moderator' };
const PROVIDER_SETTINGS = { ACCESS_PROVIDER_TIMEOUT_MS: '1000', ACCESS_PROVIDER_CACHE_SECONDS: '30' };
const SOURCE_MAPS = { NODE_OPTIONS: '--enable-source-maps' };

function tableRef(source: Template, id: string): { Ref: string } {
  return { Ref: onlyResourceId(source, 'AWS::DynamoDB::GlobalTable', { TableName: `CommTest-${id}` }) };
}

function webSocketApiRef(source: Template): { Ref: string } {
  return { Ref: onlyResourceId(source, 'AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' }) };
}

function logicalIdOfQueue(source: Template, prefix: string): string {
  const ids = Object.keys(source.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

/** ARN of `@connections/*` on one stage, as grantManagementApiAccess writes it. */
function connectionsArn(source: Template, stageName: string): unknown {
  return {
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
        webSocketApiRef(source),
        `/${stageName}/*/@connections/*`,
      ],
    ],
  };
}

function managementEndpoint(source: Template): unknown {
  return {
    'Fn::Join': [
      '',
      ['https://', webSocketApiRef(source), '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/live'],
    ],
  };
}

function eventBusRef(source: Template): { Ref: string } {
  return { Ref: onlyResourceId(source, 'AWS::Events::EventBus') };
}

describe('realtime functions', () => {
  it.each(REALTIME_FUNCTIONS)('%s runs Node.js 22 on arm64', (description, timeout) => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: description,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: timeout,
    });
  });

  it.each(DESCRIPTIONS)('%s logs JSON to its own log group', (description) => {
    const functionId = functionIdByDescription(template, description);
    const loggingConfig = (template.toJSON().Resources[functionId] as {
      Properties: { LoggingConfig: { LogFormat: string; LogGroup: { Ref: string } } };
    }).Properties.LoggingConfig;

    const logStatements = statementsOfFunction(template, functionId).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('logs:')),
    );

    expect(loggingConfig.LogFormat).toBe('JSON');
    expect(template.toJSON().Resources[loggingConfig.LogGroup.Ref]).toEqual({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(logStatements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [loggingConfig.LogGroup.Ref, 'Arn'] },
      },
    ]);
  });

  it.each(DESCRIPTIONS)('%s has its own role without managed policies', (description) => {
    const roleId = roleIdOfFunction(template, functionIdByDescription(template, description));

    const role = template.toJSON().Resources[roleId] as { Properties: Record<string, unknown> };

    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Description).toBe(`Runs the ${description} function`);
  });

  it.each([
    [CONNECT, { CONNECTIONS_TABLE: 'connections' }],
    [DISCONNECT, { CONNECTIONS_TABLE: 'connections' }],
    [UNSUBSCRIBE, { CONNECTIONS_TABLE: 'connections' }],
    [PING, {}],
    [DEFAULT, {}],
  ])('%s gets exactly its tables', (description, tables) => {
    const functionId = functionIdByDescription(template, description);
    const expectedTables = Object.fromEntries(
      Object.entries(tables).map(([variable, id]) => [variable, tableRef(template, id)]),
    );

    const environment = environmentOfFunction(template, functionId);

    expect(environment).toEqual({ ...ROLE_SETTINGS, ...expectedTables, ...SOURCE_MAPS });
  });

  it('subscribe gets its tables and the provider settings', () => {
    const environment = environmentOfFunction(template, functionIdByDescription(template, SUBSCRIBE));

    expect(environment).toEqual({
      ...ROLE_SETTINGS,
      TOPICS_TABLE: tableRef(template, 'topics'),
      FORUMS_TABLE: tableRef(template, 'forums'),
      CHANNELS_TABLE: tableRef(template, 'channels'),
      ACCESS_TABLE: tableRef(template, 'access'),
      CONNECTIONS_TABLE: tableRef(template, 'connections'),
      ...PROVIDER_SETTINGS,
      ...SOURCE_MAPS,
    });
  });

  it('stream consumer gets the endpoint, bus and queue', () => {
    const queueId = logicalIdOfQueue(template, 'DeliveryFanoutQueue');

    const environment = environmentOfFunction(template, functionIdByDescription(template, STREAM));

    expect(environment).toEqual({
      ...ROLE_SETTINGS,
      CHANNELS_TABLE: tableRef(template, 'channels'),
      ACCESS_TABLE: tableRef(template, 'access'),
      CONNECTIONS_TABLE: tableRef(template, 'connections'),
      ...PROVIDER_SETTINGS,
      ...SOURCE_MAPS,
      FANOUT_QUEUE_URL: { Ref: queueId },
      WEBSOCKET_MANAGEMENT_ENDPOINT: managementEndpoint(template),
      EVENT_BUS_NAME: eventBusRef(template),
    });
  });

  it('fan-out worker gets the endpoint and bus but no queue', () => {
    const environment = environmentOfFunction(template, functionIdByDescription(template, WORKER));

    expect(environment).toEqual({
      ...ROLE_SETTINGS,
      TOPICS_TABLE: tableRef(template, 'topics'),
      FORUMS_TABLE: tableRef(template, 'forums'),
      CHANNELS_TABLE: tableRef(template, 'channels'),
      ACCESS_TABLE: tableRef(template, 'access'),
      CONNECTIONS_TABLE: tableRef(template, 'connections'),
      ...PROVIDER_SETTINGS,
      ...SOURCE_MAPS,
      WEBSOCKET_MANAGEMENT_ENDPOINT: managementEndpoint(template),
      EVENT_BUS_NAME: eventBusRef(template),
    });
  });

  it.each(DESCRIPTIONS)('%s gets the secret only if it checks access', (description) => {
    const checksAccess = ACCESS_CHECKERS.includes(description);
    const secretId = onlyResourceId(withHttpProvider, 'AWS::SecretsManager::Secret');
    const functionId = functionIdByDescription(withHttpProvider, description);

    const environment = environmentOfFunction(withHttpProvider, functionId);
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
});

describe('realtime function permissions', () => {
  it.each([
    [AUTHORIZER, {}],
    [CONNECT, { connections: ['dynamodb:PutItem'] }],
    [
      DISCONNECT,
      {
        connections: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'],
        'connections/index/by_connection': QUERY,
      },
    ],
    [
      SUBSCRIBE,
      { topics: GET, forums: GET, channels: GET, access: GET, connections: ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem'] },
    ],
    [UNSUBSCRIBE, { connections: ['dynamodb:DeleteItem'] }],
    [PING, {}],
    [DEFAULT, {}],
    [
      STREAM,
      {
        channels: GET,
        access: GET,
        connections: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        'connections/index/by_connection': QUERY,
        'posts/stream': STREAM_READ,
      },
    ],
    // The forum stream consumer's grants are checked in forums.test.ts.
    [
      WORKER,
      {
        topics: GET,
        forums: GET,
        channels: GET,
        access: GET,
        connections: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
        'connections/index/by_connection': QUERY,
      },
    ],
  ])('%s DynamoDB grants are exact', (description, expected) => {
    const functionId = functionIdByDescription(template, description);

    const granted = allowedTableActions(template, functionId);

    expect(granted).toEqual(expected);
  });

  it.each([PING, DEFAULT])('%s has no DynamoDB Allow', (description) => {
    const functionId = functionIdByDescription(template, description);

    const dynamoAllows = statementsOfFunction(template, functionId).filter(
      (statement) =>
        statement.Effect === 'Allow' && actionsOf(statement).some((action) => action.startsWith('dynamodb:')),
    );

    expect(dynamoAllows).toEqual([]);
  });

  it('only delivery functions manage connections', () => {
    const expectedRoles = DELIVERY_FUNCTIONS.map((description) =>
      roleIdOfFunction(template, functionIdByDescription(template, description)),
    );

    const grants = allStatements(template).filter(({ statement }) =>
      actionsOf(statement).includes('execute-api:ManageConnections'),
    );

    expect(grants.flatMap(({ roleIds }) => roleIds).sort()).toEqual([...expectedRoles].sort());
    for (const { statement } of grants) {
      expect(statement).toEqual({
        Effect: 'Allow',
        Action: 'execute-api:ManageConnections',
        Resource: connectionsArn(template, 'live'),
      });
    }
  });

  it('connection grants follow the stage name', () => {
    const custom = synthTemplate({ webSocketStageName: 'beta' });

    const resources = allStatements(custom)
      .filter(({ statement }) => actionsOf(statement).includes('execute-api:ManageConnections'))
      .map(({ statement }) => statement.Resource);

    expect(resources).toEqual(DELIVERY_FUNCTIONS.map(() => connectionsArn(custom, 'beta')));
  });

  it('only stream consumers put events, on the bus', () => {
    const consumerRoles = STREAM_CONSUMERS.map((description) => roleIdOfFunction(template, functionIdByDescription(template, description)));
    const busId = eventBusRef(template).Ref;

    const grants = allStatements(template).filter(({ statement }) =>
      actionsOf(statement).some((action) => action.startsWith('events:')),
    );

    expect(grants).toEqual(
      consumerRoles.map((roleId) => ({
        roleIds: [roleId],
        statement: { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } },
      })),
    );
  });

  it('only stream consumers send to the fan-out queue', () => {
    const consumerRoles = STREAM_CONSUMERS.map((description) => roleIdOfFunction(template, functionIdByDescription(template, description)));
    const queueArn = { 'Fn::GetAtt': [logicalIdOfQueue(template, 'DeliveryFanoutQueue'), 'Arn'] };

    const senders = allStatements(template).filter(
      ({ statement }) =>
        actionsOf(statement).includes('sqs:SendMessage') && resourcesOf(statement).some((resource) => JSON.stringify(resource) === JSON.stringify(queueArn)),
    );

    expect(senders).toEqual(
      consumerRoles.map((roleId) => ({
        roleIds: [roleId],
        statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
      })),
    );
  });

  it('no role has a service wildcard action', () => {
    const statements = allStatements(template).map(({ statement }) => statement);

    const wildcardActions = statements.flatMap(actionsOf).filter((action) => action === '*' || action.endsWith(':*'));

    expect(statements.length).toBeGreaterThan(0);
    expect(wildcardActions).toEqual([]);
  });

  it('no DynamoDB or execute-api action on "*"', () => {
    const statements = allStatements(template).map(({ statement }) => statement);

    const onEverything = statements.filter(
      (statement) =>
        resourcesOf(statement).includes('*') &&
        actionsOf(statement).some((action) => action.startsWith('dynamodb:') || action.startsWith('execute-api:')),
    );

    expect(onEverything).toEqual([]);
  });

  it('every role in the stack is a function role', () => {
    const roleIds = Object.keys(template.findResources('AWS::IAM::Role')).sort();

    const functionRoleIds = Object.keys(template.findResources('AWS::Lambda::Function'))
      .map((functionId) => roleIdOfFunction(template, functionId))
      .sort();

    expect(roleIds).toEqual(functionRoleIds);
  });

  it.each(Object.keys(template.findResources('AWS::IAM::Role')))('%s denies audit updates and deletes', (roleId) => {
    const denies = statementsOfRole(template, roleId).filter((statement) => statement.Effect === 'Deny');

    expect(denies).toHaveLength(1);
    expect(actionsOf(denies[0]!).sort()).toEqual(AUDIT_DENIED);
    expect(resourcesOf(denies[0]!).map((resource) => describeTableResource(template, resource))).toEqual(['audit']);
  });
});
