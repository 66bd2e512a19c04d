import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { DataTable, DataTables } from './data-tables.js';
import type { RouteDefinition } from './routes.js';
import type { TableId } from './table-definitions.js';

/**
 * Item reads a route may make on a table it reads. Scan is included because
 * listing channels has no key to query by. ConditionCheckItem lets a
 * transaction assert on a table without writing it.
 */
export const READ_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
] as const;

/**
 * Item writes a route may make on a table it writes. TransactWriteItems is
 * authorized per item against these actions, so it needs no action of its
 * own. DeleteItem is absent because no route removes an item: deleting a post
 * writes a tombstone with UpdateItem.
 */
export const WRITE_ACTIONS = ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** The audit log is append-only, so writers get PutItem and nothing else. */
export const AUDIT_WRITE_ACTIONS = ['dynamodb:PutItem'] as const;

/**
 * Actions denied on the audit table to every function, whatever else it is
 * granted, so no API change can rewrite or remove an audit record. It covers
 * the batch and PartiQL paths too, because they can also update or delete.
 */
export const AUDIT_DENIED_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLUpdate',
  'dynamodb:UpdateItem',
] as const;

const AUDIT_TABLE: TableId = 'audit';

/**
 * Builds the DynamoDB statements for one route function: reads on the tables
 * in `route.reads` (and their indexes), writes on the tables in
 * `route.writes` (PutItem only for the audit table), and the audit Deny.
 * Every statement names table ARNs, never `*`.
 */
export function tableStatements(route: RouteDefinition, tables: DataTables): PolicyStatement[] {
  const statements: PolicyStatement[] = [];

  const readTables = unique(route.reads).map((id) => tables.get(id));
  if (readTables.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'ReadTables',
        actions: [...READ_ACTIONS],
        resources: readTables.flatMap(tableAndIndexArns),
      }),
    );
  }

  const writeTables = unique(route.writes)
    .filter((id) => id !== AUDIT_TABLE)
    .map((id) => tables.get(id));
  if (writeTables.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'WriteTables',
        actions: [...WRITE_ACTIONS],
        resources: writeTables.map((entry) => entry.table.tableArn),
      }),
    );
  }

  const auditTableArn = tables.get(AUDIT_TABLE).table.tableArn;
  if (route.writes.includes(AUDIT_TABLE)) {
    statements.push(
      new PolicyStatement({
        sid: 'AppendAudit',
        actions: [...AUDIT_WRITE_ACTIONS],
        resources: [auditTableArn],
      }),
    );
  }

  statements.push(
    new PolicyStatement({
      sid: 'DenyAuditChanges',
      effect: Effect.DENY,
      actions: [...AUDIT_DENIED_ACTIONS],
      resources: [auditTableArn],
    }),
  );

  return statements;
}

/** Returns the table ARN and one ARN per index, because Query on an index is authorized on the index ARN. */
function tableAndIndexArns({ definition, table }: DataTable): string[] {
  const indexes = [...(definition.localIndexes ?? []), ...(definition.globalIndexes ?? [])];
  return [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index.indexName}`)];
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
