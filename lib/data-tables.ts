import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
  type Attribute,
  type GlobalSecondaryIndexPropsV2,
  type LocalSecondaryIndexProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { toPascalCase } from './naming.js';
import {
  TABLES,
  type IndexDefinition,
  type KeyAttribute,
  type TableDefinition,
  type TableId,
} from './table-definitions.js';

/** Properties of {@link DataTables}. */
export interface DataTablesProps {
  /**
   * Prefix of every physical table name; the name is `<prefix>-<table id>`.
   *
   * @default - the stack name
   */
  readonly tableNamePrefix?: string;

  /**
   * Tables to create.
   *
   * @default TABLES from table-definitions.ts, the set the local stack also creates
   */
  readonly definitions?: readonly TableDefinition[];
}

/** A created table together with the definition it came from. */
export interface DataTable {
  readonly definition: TableDefinition;
  readonly table: TableV2;
}

/**
 * Creates the DynamoDB tables of the communication layer from their shared
 * definitions. Every table is on-demand, encrypted with the AWS managed key,
 * has point-in-time recovery and deletion protection, and is retained when
 * the stack is deleted, because it stores paid content and the audit log.
 */
export class DataTables extends Construct {
  /** Tables in definition order. */
  readonly all: readonly DataTable[];

  private readonly byId: ReadonlyMap<TableId, DataTable>;

  constructor(scope: Construct, id: string, props: DataTablesProps = {}) {
    super(scope, id);

    const prefix = props.tableNamePrefix ?? Stack.of(this).stackName;
    const definitions = props.definitions ?? TABLES;

    this.all = definitions.map((definition) => ({
      definition,
      table: this.createTable(definition, `${prefix}-${definition.id}`),
    }));
    this.byId = new Map(this.all.map((entry) => [entry.definition.id, entry]));
  }

  /**
   * Returns the table with the given id.
   *
   * @throws Error when no definition has that id.
   */
  get(id: TableId): DataTable {
    const entry = this.byId.get(id);
    if (entry === undefined) {
      const known = [...this.byId.keys()].join(', ');
      throw new Error(`No table "${id}" in DataTables ${this.node.path}; defined tables: ${known}.`);
    }
    return entry;
  }

  private createTable(definition: TableDefinition, tableName: string): TableV2 {
    return new TableV2(this, `${toPascalCase(definition.id)}Table`, {
      tableName,
      partitionKey: toAttribute(definition.partitionKey),
      sortKey: definition.sortKey && toAttribute(definition.sortKey),
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      dynamoStream: definition.stream && StreamViewType[definition.stream],
      timeToLiveAttribute: definition.timeToLiveAttribute,
      localSecondaryIndexes: definition.localIndexes?.map((index) => toLocalIndex(definition, index)),
      globalSecondaryIndexes: definition.globalIndexes?.map(toGlobalIndex),
    });
  }
}

function toAttribute(key: KeyAttribute): Attribute {
  const type = key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER;
  return { name: key.name, type };
}

function toLocalIndex(table: TableDefinition, index: IndexDefinition): LocalSecondaryIndexProps {
  // A local index always shares the table's partition key, so a definition
  // that names another one describes a global index by mistake.
  const sharesPartitionKey =
    index.partitionKey.name === table.partitionKey.name && index.partitionKey.type === table.partitionKey.type;
  if (!sharesPartitionKey) {
    throw new Error(
      `Local index "${index.indexName}" of table "${table.id}" has partition key "${index.partitionKey.name}", but a local index must use the table's partition key "${table.partitionKey.name}". Move it to globalIndexes or fix its partition key.`,
    );
  }
  if (index.sortKey === undefined) {
    throw new Error(
      `Local index "${index.indexName}" of table "${table.id}" has no sort key; a local index needs one. Add sortKey to its definition.`,
    );
  }

  return {
    indexName: index.indexName,
    sortKey: toAttribute(index.sortKey),
    projectionType: ProjectionType[index.projection],
  };
}

function toGlobalIndex(index: IndexDefinition): GlobalSecondaryIndexPropsV2 {
  return {
    indexName: index.indexName,
    partitionKey: toAttribute(index.partitionKey),
    sortKey: index.sortKey && toAttribute(index.sortKey),
    projectionType: ProjectionType[index.projection],
  };
}
