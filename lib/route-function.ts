import { Duration } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { DataTables } from './data-tables.js';
import { HandlerFunction, type AccessProviderBinding } from './handler-function.js';
import type { MediaBucket } from './media-bucket.js';
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
   * Forum posting settings (the FORUM_* variables), applied only when the
   * route applies the posting rules (see {@link appliesPostingRules}).
   *
   * @default - none, so those handlers fall back to their built-in defaults
   */
  readonly forumPosting?: Readonly<Record<string, string>>;

  /**
   * The media bucket. A route whose `media` lists access kinds gets the
   * MEDIA_* variables and exactly those grants. Other routes get neither.
   *
   * @default - none, which only routes without `media` accept
   */
  readonly mediaBucket?: MediaBucket;

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
 * Handlers that apply the forum posting rules: the rate limit on new topics
 * and messages, and the edit window on edits. Each handler reads all three
 * FORUM_* variables at start-up, so each gets all three. A value set in
 * context then never gives way to a handler's default.
 */
const POSTING_RULE_HANDLERS: ReadonlySet<string> = new Set(['create-topic', 'post-message', 'edit-message']);

/** Tells whether a route applies the forum posting rules and so needs the FORUM_* variables. */
export function appliesPostingRules(route: RouteDefinition): boolean {
  return POSTING_RULE_HANDLERS.has(route.handler);
}

/**
 * The Lambda function behind one HTTP route (see {@link HandlerFunction}),
 * with the table names its route uses as environment variables,
 * least-privilege DynamoDB grants, media grants when the route names any,
 * and the forum posting settings when it applies the posting rules.
 *
 * @throws Error when the route needs media access but no `mediaBucket` is given.
 */
export class RouteFunction extends HandlerFunction {
  readonly route: RouteDefinition;

  constructor(scope: Construct, id: string, props: RouteFunctionProps) {
    const { route } = props;
    const media = mediaBinding(route, props.mediaBucket);
    super(scope, id, {
      handler: route.handler,
      description: `${route.method} ${route.path}`,
      roleDescription: `Runs the function behind ${route.method} ${route.path}`,
      timeout: Duration.seconds(route.timeoutSeconds),
      environment: {
        ...props.environment,
        ...tableEnvironment(route, props.tables),
        ...media.environment,
        ...(appliesPostingRules(route) ? props.forumPosting : {}),
      },
      statements: [...tableStatements(route, props.tables), ...media.statements],
      accessProvider: checksAccess(route) ? props.accessProvider : undefined,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.route = route;
  }
}

/** Returns the media variables and grants of a route, both empty when its `media` lists nothing. */
function mediaBinding(
  route: RouteDefinition,
  mediaBucket: MediaBucket | undefined,
): { environment: Readonly<Record<string, string>>; statements: PolicyStatement[] } {
  const access = route.media ?? [];
  if (access.length === 0) return { environment: {}, statements: [] };

  if (mediaBucket === undefined) {
    throw new Error(
      `Route ${route.method} ${route.path} needs media access (${access.join(', ')}), but its RouteFunction got no mediaBucket. Pass the stack's MediaBucket.`,
    );
  }
  return { environment: mediaBucket.environment, statements: mediaBucket.accessStatements(access) };
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
