import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthTemplate } from './synth.js';

const template = synthTemplate();

interface ExpectedTable {
  readonly id: string;
  readonly keySchema: ReadonlyArray<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;
  readonly attributes: ReadonlyArray<{ AttributeName: string; AttributeType: 'S' | 'N' }>;
  readonly streamViewType?: 'NEW_AND_OLD_IMAGES';
  readonly timeToLiveAttribute?: string;
}

const EXPECTED_TABLES: readonly ExpectedTable[] = [
  {
    id: 'channels',
    keySchema: [{ AttributeName: 'channel_id', KeyType: 'HASH' }],
    attributes: [{ AttributeName: 'channel_id', AttributeType: 'S' }],
    streamViewType: 'NEW_AND_OLD_IMAGES',
  },
  {
    id: 'posts',
    keySchema: [
      { AttributeName: 'channel_id', KeyType: 'HASH' },
      { AttributeName: 'seq', KeyType: 'RANGE' },
    ],
    attributes: [
      { AttributeName: 'channel_id', AttributeType: 'S' },
      { AttributeName: 'seq', AttributeType: 'N' },
      { AttributeName: 'published_key', AttributeType: 'S' },
    ],
    streamViewType: 'NEW_AND_OLD_IMAGES',
  },
  {
    id: 'idempotency',
    keySchema: [{ AttributeName: 'record_id', KeyType: 'HASH' }],
    attributes: [{ AttributeName: 'record_id', AttributeType: 'S' }],
    timeToLiveAttribute: 'expires_at_epoch',
  },
  {
    id: 'audit',
    keySchema: [
      { AttributeName: 'target', KeyType: 'HASH' },
      { AttributeName: 'recorded_key', KeyType: 'RANGE' },
    ],
    attributes: [
      { AttributeName: 'target', AttributeType: 'S' },
      { AttributeName: 'recorded_key', AttributeType: 'S' },
      { AttributeName: 'actor_id', AttributeType: 'S' },
    ],
  },
  {
    id: 'access',
    keySchema: [
      { AttributeName: 'channel_id', KeyType: 'HASH' },
      { AttributeName: 'user_id', KeyType: 'RANGE' },
    ],
    attributes: [
      { AttributeName: 'channel_id', AttributeType: 'S' },
      { AttributeName: 'user_id', AttributeType: 'S' },
    ],
  },
  {
    id: 'attachments',
    keySchema: [{ AttributeName: 'attachment_id', KeyType: 'HASH' }],
    attributes: [{ AttributeName: 'attachment_id', AttributeType: 'S' }],
  },
  {
    id: 'connections',
    keySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    attributes: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'connection_id', AttributeType: 'S' },
    ],
    timeToLiveAttribute: 'expires_at_epoch',
  },
  {
    id: 'forums',
    keySchema: [{ AttributeName: 'forum_id', KeyType: 'HASH' }],
    attributes: [{ AttributeName: 'forum_id', AttributeType: 'S' }],
  },
  {
    id: 'topics',
    keySchema: [{ AttributeName: 'topic_id', KeyType: 'HASH' }],
    attributes: [
      { AttributeName: 'topic_id', AttributeType: 'S' },
      { AttributeName: 'forum_id', AttributeType: 'S' },
      { AttributeName: 'activity_key', AttributeType: 'S' },
    ],
    streamViewType: 'NEW_AND_OLD_IMAGES',
  },
  {
    id: 'messages',
    keySchema: [
      { AttributeName: 'topic_id', KeyType: 'HASH' },
      { AttributeName: 'seq', KeyType: 'RANGE' },
    ],
    attributes: [
      { AttributeName: 'topic_id', AttributeType: 'S' },
      { AttributeName: 'seq', AttributeType: 'N' },
      { AttributeName: 'created_key', AttributeType: 'S' },
    ],
    streamViewType: 'NEW_AND_OLD_IMAGES',
  },
  {
    id: 'posting_state',
    keySchema: [
      { AttributeName: 'user_id', KeyType: 'HASH' },
      { AttributeName: 'scope', KeyType: 'RANGE' },
    ],
    attributes: [
      { AttributeName: 'user_id', AttributeType: 'S' },
      { AttributeName: 'scope', AttributeType: 'S' },
    ],
    timeToLiveAttribute: 'expires_at_epoch',
  },
];

function tableResource(id: string): { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string } {
  const matches = Object.values(
    template.findResources('AWS::DynamoDB::GlobalTable', { Properties: { TableName: `CommTest-${id}` } }),
  );
  expect(matches).toHaveLength(1);
  return matches[0] as { Properties: Record<string, unknown>; DeletionPolicy?: string };
}

describe('DataTables', () => {
  it('creates exactly the eleven tables', () => {
    const tableNames = Object.values(template.findResources('AWS::DynamoDB::GlobalTable')).map(
      (table) => (table as { Properties: { TableName: string } }).Properties.TableName,
    );

    expect(tableNames.sort()).toEqual(EXPECTED_TABLES.map(({ id }) => `CommTest-${id}`).sort());
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it.each(EXPECTED_TABLES)('$id table has its key schema and attribute types', (expected) => {
    const table = tableResource(expected.id);

    expect(table.Properties.KeySchema).toEqual(expected.keySchema);
    expect(table.Properties.AttributeDefinitions).toEqual(expected.attributes);
  });

  it.each(EXPECTED_TABLES)('$id table is on-demand, encrypted and recoverable', (expected) => {
    const table = tableResource(expected.id);

    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(table.Properties.Replicas).toEqual([
      expect.objectContaining({
        Region: { Ref: 'AWS::Region' },
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    ]);
  });

  it.each(EXPECTED_TABLES)('$id table is retained on delete and replace', (expected) => {
    const table = tableResource(expected.id);

    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it.each(EXPECTED_TABLES)('$id table stream matches the outbox tables', (expected) => {
    const streamSpecification =
      expected.streamViewType === undefined ? Match.absent() : { StreamViewType: expected.streamViewType };

    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: `CommTest-${expected.id}`,
      StreamSpecification: streamSpecification,
    });
  });

  it.each(EXPECTED_TABLES)('$id table has TTL only where defined', (expected) => {
    const timeToLive =
      expected.timeToLiveAttribute === undefined
        ? Match.absent()
        : { AttributeName: expected.timeToLiveAttribute, Enabled: true };

    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: `CommTest-${expected.id}`,
      TimeToLiveSpecification: timeToLive,
    });
  });

  it('topics table has the by-activity global index', () => {
    const table = tableResource('topics');

    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'by_activity',
        KeySchema: [
          { AttributeName: 'forum_id', KeyType: 'HASH' },
          { AttributeName: 'activity_key', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.LocalSecondaryIndexes).toBeUndefined();
  });

  it('messages table has the created-at local index', () => {
    const table = tableResource('messages');

    expect(table.Properties.LocalSecondaryIndexes).toEqual([
      {
        IndexName: 'by_created_at',
        KeySchema: [
          { AttributeName: 'topic_id', KeyType: 'HASH' },
          { AttributeName: 'created_key', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it.each(['forums', 'posting_state'])('%s table has no secondary index', (id) => {
    const table = tableResource(id);

    expect(table.Properties.LocalSecondaryIndexes).toBeUndefined();
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('posts table has the published-at local index', () => {
    const table = tableResource('posts');

    expect(table.Properties.LocalSecondaryIndexes).toEqual([
      {
        IndexName: 'by_published_at',
        KeySchema: [
          { AttributeName: 'channel_id', KeyType: 'HASH' },
          { AttributeName: 'published_key', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('audit table has the by-actor global index', () => {
    const table = tableResource('audit');

    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'by_actor',
        KeySchema: [
          { AttributeName: 'actor_id', KeyType: 'HASH' },
          { AttributeName: 'recorded_key', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.LocalSecondaryIndexes).toBeUndefined();
  });

  it('connections table has the by-connection global index', () => {
    const table = tableResource('connections');

    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'by_connection',
        KeySchema: [
          { AttributeName: 'connection_id', KeyType: 'HASH' },
          { AttributeName: 'pk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
  });

  it.each(['channels', 'idempotency', 'access', 'attachments'])('%s table has no secondary index', (id) => {
    const table = tableResource(id);

    expect(table.Properties.LocalSecondaryIndexes).toBeUndefined();
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it.each([
    ['ChannelsTableName', 'channels'],
    ['PostsTableName', 'posts'],
    ['IdempotencyTableName', 'idempotency'],
    ['AuditTableName', 'audit'],
    ['AccessTableName', 'access'],
    ['ConnectionsTableName', 'connections'],
    ['AttachmentsTableName', 'attachments'],
  ])('output %s names the %s table', (outputName, id) => {
    const [logicalId] = Object.keys(
      template.findResources('AWS::DynamoDB::GlobalTable', { Properties: { TableName: `CommTest-${id}` } }),
    );

    template.hasOutput(outputName, { Value: { Ref: logicalId } });
  });
});
