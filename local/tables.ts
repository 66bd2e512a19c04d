import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, UpdateTimeToLiveCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLES, type KeyAttribute, type TableDefinition } from '../lib/table-definitions.js';
import type { TableNames } from '../lambdas/config.js';

/** Physical table names for a prefix, e.g. `local-posts`. */
export function localTableNames(prefix: string): TableNames {
  return Object.fromEntries(TABLES.map((table) => [table.id, `${prefix}-${table.id}`])) as TableNames;
}

/** Returns the environment variables handlers read, as the CDK stack sets them. */
export function tableEnvironment(names: TableNames): Record<string, string> {
  return Object.fromEntries(TABLES.map((table) => [table.envVar, names[table.id]]));
}

/** Creates every table from the shared definitions; existing tables (a persisted data dir) are kept. */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    TABLES.map(async (table) => {
      try {
        await client.send(new CreateTableCommand(createTableInput(table, names[table.id])));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
        return;
      }
      await client.send(new DescribeTableCommand({ TableName: names[table.id] }));
      if (table.timeToLiveAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: names[table.id], TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true } }),
        );
      }
    }),
  );
}

function createTableInput(table: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  const remember = (attribute: KeyAttribute | undefined): void => {
    if (attribute) attributes.set(attribute.name, attribute);
  };
  remember(table.partitionKey);
  remember(table.sortKey);
  for (const index of [...(table.localIndexes ?? []), ...(table.globalIndexes ?? [])]) {
    remember(index.partitionKey);
    remember(index.sortKey);
  }

  const keySchema = (partitionKey: KeyAttribute, sortKey?: KeyAttribute) => [
    { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];

  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()].map((attribute) => ({ AttributeName: attribute.name, AttributeType: attribute.type })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(table.localIndexes && {
      LocalSecondaryIndexes: table.localIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: keySchema(index.partitionKey, index.sortKey),
        Projection: { ProjectionType: index.projection },
      })),
    }),
    ...(table.globalIndexes && {
      GlobalSecondaryIndexes: table.globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: keySchema(index.partitionKey, index.sortKey),
        Projection: { ProjectionType: index.projection },
      })),
    }),
    ...(table.stream && { StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } }),
  };
}
