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
 * DynamoDB actions one function may make on one table or one of its
 * indexes. Functions outside ROUTES (WebSocket, stream and queue consumers)
 * list their access this way, because their needs are narrower than the
 * read and write sets above.
 */
export interface TableAccess {
  readonly table: TableId;

  /**
   * Secondary index the actions apply to. Query on an index is authorized on
   * the index ARN, not on the table ARN.
   *
   * @default - the table itself
   */
  readonly index?: string;

  readonly actions: readonly string[];
}

/**
 * Builds the DynamoDB statements for one route function: reads on the tables
 * in `route.reads` and on the indexes in `route.queries`, writes on the
 * tables in `route.writes` (PutItem only
 * for the audit table), and the audit Deny. Every statement names table or
 * index ARNs, never `*`.
 *
 * @throws Error when the route queries an index of a table its `reads` do
 *   not list, or an index the table does not define.
 */
export function tableStatements(route: RouteDefinition, tables: DataTables): PolicyStatement[] {
  const statements: PolicyStatement[] = [];

  const readTables = unique(route.reads).map((id) => tables.get(id));
  const queriedIndexArns = (route.queries ?? []).map(({ table, indexName }) => {
    if (!route.reads.includes(table)) {
      throw new Error(
        `Route ${route.method} ${route.path} queries index "${indexName}" of table "${table}", but its reads do not list "${table}". Add the table to the route's reads in routes.ts or remove the index from its queries.`,
      );
    }
    return indexArn(tables.get(table), indexName);
  });
  if (readTables.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'ReadTables',
        actions: [...READ_ACTIONS],
        resources: [...readTables.map((entry) => entry.table.tableArn), ...queriedIndexArns],
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

  statements.push(denyAuditChanges(tables));

  return statements;
}

/**
 * Builds one Allow statement per entry of `access`, naming the table or
 * index ARN, followed by the audit Deny. A function without table access
 * still gets the Deny.
 *
 * @throws Error when an entry names an index the table does not define, or
 *   grants on the audit table an action the audit Deny covers.
 */
export function tableAccessStatements(access: readonly TableAccess[], tables: DataTables): PolicyStatement[] {
  const statements = access.map((entry) => {
    const dataTable = tables.get(entry.table);
    assertAllowedOnAudit(entry);
    return new PolicyStatement({
      actions: [...entry.actions],
      resources: [entry.index === undefined ? dataTable.table.tableArn : indexArn(dataTable, entry.index)],
    });
  });

  return [...statements, denyAuditChanges(tables)];
}

function denyAuditChanges(tables: DataTables): PolicyStatement {
  return new PolicyStatement({
    sid: 'DenyAuditChanges',
    effect: Effect.DENY,
    actions: [...AUDIT_DENIED_ACTIONS],
    resources: [tables.get(AUDIT_TABLE).table.tableArn],
  });
}

function assertAllowedOnAudit(entry: TableAccess): void {
  if (entry.table !== AUDIT_TABLE) return;

  const denied = entry.actions.filter((action) => (AUDIT_DENIED_ACTIONS as readonly string[]).includes(action));
  if (denied.length > 0) {
    throw new Error(
      `Table access to "${AUDIT_TABLE}" grants ${denied.join(', ')}, which every function is denied because the audit log is append-only. Grant ${AUDIT_WRITE_ACTIONS.join(', ')} instead.`,
    );
  }
}

/**
 * Returns the ARN of one index of the table.
 *
 * @throws Error when the table's definition has no index of that name.
 */
function indexArn({ definition, table }: DataTable, indexName: string): string {
  const indexes = [...(definition.localIndexes ?? []), ...(definition.globalIndexes ?? [])];
  if (!indexes.some((index) => index.indexName === indexName)) {
    const known = indexes.map((index) => index.indexName).join(', ') || 'none';
    throw new Error(`Table "${definition.id}" has no index "${indexName}". Its indexes: ${known}. Fix the index name in the table access entry or in the route's queries.`);
  }
  return `${table.tableArn}/index/${indexName}`;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
