import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CONTEXT_DEFAULTS } from './config.js';
import type { DataTables } from './data-tables.js';
import type { RouteDefinition } from './routes.js';
import { tableStatements } from './table-permissions.js';

/** Repository root: the parent of lib/, where package-lock.json and lambdas/ live. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Memory of a route function; Lambda assigns CPU in proportion to it. */
export const FUNCTION_MEMORY_MB = 512;

/**
 * esbuild settings shared by every route function. Bundling runs the
 * project's own esbuild, never Docker.
 */
const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  // ESM builds first: a CommonJS dependency bundled into ESM output throws
  // "Dynamic require ... is not supported" when it requires a Node built-in.
  // NOTE: a dependency that ships only CommonJS still hits that error at
  // load time; it then needs a banner that defines `require` with createRequire.
  mainFields: ['module', 'main'],
  minify: true,
  // A linked map file (not the "external" mode, which drops the
  // sourceMappingURL comment) so that --enable-source-maps can find it.
  sourceMap: true,
  sourcesContent: false,
  // Bundle the AWS SDK as well, so Lambda runs the versions pinned in
  // package-lock.json rather than the copy in the runtime image.
  externalModules: [],
};

/** Access provider settings handed to the functions that check access. */
export interface AccessProviderBinding {
  /** Variables that configure the provider (URL, secret ARN, timeout, cache). */
  readonly environment: Readonly<Record<string, string>>;

  /**
   * Shared secret that signs requests to the HTTP provider; the function gets
   * read access to it.
   *
   * @default - none, because the built-in provider needs no secret
   */
  readonly secret?: ISecret;
}

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
 * The Lambda function behind one HTTP route: `lambdas/handlers/<handler>.ts`
 * bundled as ESM for Node.js 22 on arm64, with its own log group, the table
 * names it uses as environment variables and least-privilege DynamoDB grants.
 */
export class RouteFunction extends Construct {
  readonly route: RouteDefinition;
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: RouteFunctionProps) {
    super(scope, id);

    const { route } = props;
    this.route = route;
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const accessProvider = checksAccess(route) ? props.accessProvider : undefined;

    const logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? CONTEXT_DEFAULTS.logRetentionDays,
    });

    // The function gets its own role instead of AWSLambdaBasicExecutionRole,
    // whose log permissions cover every log group in the account.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the function behind ${route.method} ${route.path}`,
    });
    logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      description: `${route.method} ${route.path}`,
      entry: join(projectRoot, 'lambdas', 'handlers', `${route.handler}.ts`),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: Duration.seconds(route.timeoutSeconds),
      bundling: BUNDLING,
      environment: {
        ...props.environment,
        ...tableEnvironment(route, props.tables),
        ...accessProvider?.environment,
        NODE_OPTIONS: '--enable-source-maps',
      },
      role,
      logGroup,
      // In JSON format Lambda filters JSON lines on stdout by their `level`
      // key and writes its own START, END and REPORT lines as JSON too
      // (AWS Lambda Developer Guide, "Log-level filtering").
      loggingFormat: LoggingFormat.JSON,
    });

    for (const statement of tableStatements(route, props.tables)) {
      this.function.addToRolePolicy(statement);
    }
    accessProvider?.secret?.grantRead(this.function);
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
