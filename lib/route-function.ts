import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { DataTables } from './data-tables.js';
import { HandlerFunction, type AccessProviderBinding } from './handler-function.js';
import type { RouteDefinition } from './routes.js';
import { tableStatements } from './table-permissions.js';

/** Properties of {@link RouteFunction}. */
export interface RouteFunctionProps {
  /** Route the function serves; its `reads` and `writes` decide the table variables and grants. */
  readonly route: RouteDefinition;

  /** Tables of the stack. The function gets variables and grants only for those its route names. */
  readonly tables: DataTables;

  /**
   * Variables every function gets, such as the role claim and group names.
   *
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * Access provider settings, applied only when the route checks access,
   * that is when its `reads` include the `access` table.
   *
   * @default - no provider variables and no secret
   */
  readonly accessProvider?: AccessProviderBinding;

  /**
   * Retention of the function's log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * Directory that contains package-lock.json and lambdas/handlers.
   *
   * @default - the repository root, the parent of lib/
   */
  readonly projectRoot?: string;
}

/**
 * Tells whether a route consults the access provider. Such routes read the
 * `access` table, which stores the built-in provider's subscription periods.
 */
export function checksAccess(route: RouteDefinition): boolean {
  return route.reads.includes('access');
}

/**
 * The Lambda function behind one HTTP route (see {@link HandlerFunction}),
 * with the table names its route uses as environment variables and
 * least-privilege DynamoDB grants.
 */
export class RouteFunction extends HandlerFunction {
  readonly route: RouteDefinition;

  constructor(scope: Construct, id: string, props: RouteFunctionProps) {
    const { route } = props;
    super(scope, id, {
      handler: route.handler,
      description: `${route.method} ${route.path}`,
      roleDescription: `Runs the function behind ${route.method} ${route.path}`,
      timeout: Duration.seconds(route.timeoutSeconds),
      environment: { ...props.environment, ...tableEnvironment(route, props.tables) },
      statements: tableStatements(route, props.tables),
      accessProvider: checksAccess(route) ? props.accessProvider : undefined,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.route = route;
  }
}

/** Maps each table the route reads or writes to its variable, for example `POSTS_TABLE`. */
function tableEnvironment(route: RouteDefinition, tables: DataTables): Record<string, string> {
  const ids = new Set([...route.reads, ...route.writes]);
  const entries = [...ids].map((id) => {
    const { definition, table } = tables.get(id);
    return [definition.envVar, table.tableName] as const;
  });
  return Object.fromEntries(entries);
}
