import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS, type CommSettings } from './config.js';
import type { DataTables } from './data-tables.js';
import { HandlerFunction, type AccessProviderBinding } from './handler-function.js';
import type { WEBSOCKET_ROUTES } from './realtime-settings.js';
import { CONNECTIONS_BY_CONNECTION_INDEX } from './table-definitions.js';
import { tableAccessStatements, type TableAccess } from './table-permissions.js';

/** Handler of a WebSocket message route in WEBSOCKET_ROUTES. */
type MessageRouteHandler = (typeof WEBSOCKET_ROUTES)[number]['handler'];

/** Every realtime handler module under lambdas/handlers. */
export type RealtimeHandler =
  | 'ws-authorize'
  | 'ws-connect'
  | 'ws-disconnect'
  | MessageRouteHandler
  | 'stream-posts'
  | 'stream-forums'
  | 'fanout-worker';

/** Handler module, description, timeout and table access of one realtime function. */
export interface RealtimeFunctionDefinition {
  /** File name under lambdas/handlers, without extension. */
  readonly handler: RealtimeHandler;
  /** Function description: the event that invokes it. */
  readonly description: string;
  readonly timeoutSeconds: number;
  /** DynamoDB actions per table or index, nothing more. */
  readonly tableAccess: readonly TableAccess[];
  /** True when the function calls the access provider, so it gets the provider's variables and secret. */
  readonly checksAccess: boolean;
}

/**
 * Stream batches contain up to 100 records, and each lists the channel's or
 * topic's subscribers and delivers the first fan-out batch itself. Re-checking
 * expired decisions costs up to one provider timeout (1 s by default) per
 * 25 parallel sends.
 */
const STREAM_TIMEOUT_SECONDS = 60;

/** One fan-out batch is 100 subscribers sent 25 at a time. The fan-out queue's visibility timeout is derived from this value. */
const FANOUT_TIMEOUT_SECONDS = 30;

/**
 * The access check reads the channel (its policy and publishers) and, with
 * the built-in provider, the user's item in the access table. Both are
 * single-item reads.
 */
const ACCESS_CHECK: readonly TableAccess[] = [
  { table: 'channels', actions: ['dynamodb:GetItem'] },
  { table: 'access', actions: ['dynamodb:GetItem'] },
];

/**
 * Removing a connection finds its items through the by-connection index
 * and deletes them with BatchWriteItem. Delivery does the same when
 * sending to a connection returns 410 Gone.
 */
const REMOVE_CONNECTION: readonly TableAccess[] = [
  { table: 'connections', index: CONNECTIONS_BY_CONNECTION_INDEX, actions: ['dynamodb:Query'] },
  { table: 'connections', actions: ['dynamodb:BatchWriteItem'] },
];

/**
 * A forum delta's access check first reads the topic (for its forum) and the
 * forum (for its linked channel), then decides like a post with
 * ACCESS_CHECK.
 */
const FORUM_ACCESS_CHECK: readonly TableAccess[] = [
  { table: 'topics', actions: ['dynamodb:GetItem'] },
  { table: 'forums', actions: ['dynamodb:GetItem'] },
];

/**
 * Delivery re-checks expired decisions, stores the fresh decision
 * (UpdateItem), removes a subscription whose access ended (DeleteItem) and
 * removes gone connections.
 */
const DELIVERY: readonly TableAccess[] = [
  ...ACCESS_CHECK,
  { table: 'connections', actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
  ...REMOVE_CONNECTION,
];

/** The realtime functions, keyed by handler. Construct ids and descriptions come from here, so keep them stable. */
export const REALTIME_FUNCTIONS: Readonly<Record<RealtimeHandler, RealtimeFunctionDefinition>> = {
  'ws-authorize': {
    handler: 'ws-authorize',
    description: 'WebSocket $connect authorizer',
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    tableAccess: [],
    checksAccess: false,
  },
  'ws-connect': {
    handler: 'ws-connect',
    description: 'WebSocket $connect',
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    tableAccess: [{ table: 'connections', actions: ['dynamodb:PutItem'] }],
    checksAccess: false,
  },
  'ws-disconnect': {
    handler: 'ws-disconnect',
    description: 'WebSocket $disconnect',
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    tableAccess: [
      { table: 'connections', index: CONNECTIONS_BY_CONNECTION_INDEX, actions: ['dynamodb:Query'] },
      { table: 'connections', actions: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'] },
    ],
    checksAccess: false,
  },
  'ws-subscribe': {
    handler: 'ws-subscribe',
    description: 'WebSocket subscribe',
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    // A topic subscription checks access through the topic's forum.
    tableAccess: [
      ...FORUM_ACCESS_CHECK,
      ...ACCESS_CHECK,
      // The subscription is stored in a transaction with a ConditionCheck that the connection still exists.
      { table: 'connections', actions: ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem'] },
    ],
    checksAccess: true,
  },
  'ws-unsubscribe': {
    handler: 'ws-unsubscribe',
    description: 'WebSocket unsubscribe',
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    tableAccess: [{ table: 'connections', actions: ['dynamodb:DeleteItem'] }],
    checksAccess: false,
  },
  'ws-ping': {
    handler: 'ws-ping',
    description: 'WebSocket ping',
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    tableAccess: [],
    checksAccess: false,
  },
  'ws-default': {
    handler: 'ws-default',
    description: 'WebSocket $default',
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    tableAccess: [],
    checksAccess: false,
  },
  'stream-posts': {
    handler: 'stream-posts',
    description: 'Posts table stream consumer',
    timeoutSeconds: STREAM_TIMEOUT_SECONDS,
    // Query on the table lists a channel's subscriptions.
    tableAccess: [{ table: 'connections', actions: ['dynamodb:Query'] }, ...DELIVERY],
    checksAccess: true,
  },
  'stream-forums': {
    handler: 'stream-forums',
    description: 'Topics and messages table stream consumer',
    timeoutSeconds: STREAM_TIMEOUT_SECONDS,
    // Query on the table lists a topic's subscriptions.
    tableAccess: [{ table: 'connections', actions: ['dynamodb:Query'] }, ...FORUM_ACCESS_CHECK, ...DELIVERY],
    checksAccess: true,
  },
  'fanout-worker': {
    handler: 'fanout-worker',
    description: 'Fan-out queue consumer',
    timeoutSeconds: FANOUT_TIMEOUT_SECONDS,
    // The subscribers arrive in the message, so the worker never lists them.
    // It delivers channel and topic batches alike, so it reads topics and forums too.
    tableAccess: [...FORUM_ACCESS_CHECK, ...DELIVERY],
    checksAccess: true,
  },
};

/** Properties of {@link RealtimeFunction}. */
export interface RealtimeFunctionProps {
  readonly definition: RealtimeFunctionDefinition;

  /** Tables of the stack. The function gets variables and grants only for those its definition names. */
  readonly tables: DataTables;

  /**
   * Variables on top of the table names, such as the role claim and group names.
   *
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * Access provider settings, applied only when the definition checks access.
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
 * A WebSocket, stream or queue function (see {@link HandlerFunction}) with
 * the table names of its definition as environment variables and exactly
 * the DynamoDB actions the definition lists. API Gateway, stream, queue and
 * bus permissions are added by the constructs that wire it up.
 */
export class RealtimeFunction extends HandlerFunction {
  readonly definition: RealtimeFunctionDefinition;

  constructor(scope: Construct, id: string, props: RealtimeFunctionProps) {
    const { definition } = props;
    super(scope, id, {
      handler: definition.handler,
      description: definition.description,
      timeout: Duration.seconds(definition.timeoutSeconds),
      environment: { ...props.environment, ...tableEnvironment(definition, props.tables) },
      statements: tableAccessStatements(definition.tableAccess, props.tables),
      accessProvider: definition.checksAccess ? props.accessProvider : undefined,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.definition = definition;
  }
}

/**
 * Builds the variables of the `$connect` authorizer function. The function
 * splits JWT_AUDIENCE and WS_ALLOWED_ORIGINS at commas. It leaves
 * WS_ALLOWED_ORIGINS unset when no origin is configured, and then accepts
 * any origin.
 *
 * @throws Error when an audience or an origin contains a comma, which the
 *   comma-separated variable cannot carry.
 */
export function authorizerEnvironment(settings: CommSettings): Record<string, string> {
  const environment: Record<string, string> = {
    JWT_ISSUER: settings.jwtIssuer,
    JWT_AUDIENCE: commaSeparated('jwtAudience', settings.jwtAudience),
    JWT_JWKS_URI: settings.jwtJwksUri,
  };
  if (settings.webSocketAllowedOrigins.length > 0) {
    environment.WS_ALLOWED_ORIGINS = commaSeparated('webSocketAllowedOrigins', settings.webSocketAllowedOrigins);
  }
  return environment;
}

function commaSeparated(contextKey: string, values: readonly string[]): string {
  const withComma = values.find((value) => value.includes(','));
  if (withComma !== undefined) {
    throw new Error(
      `Invalid CDK context "${contextKey}": ${JSON.stringify(withComma)} contains a comma, but the WebSocket authorizer function reads the list comma-separated. Remove the comma from the value.`,
    );
  }
  return values.join(',');
}

/** Maps each table in the definition's access list to its variable, for example `CONNECTIONS_TABLE`. */
function tableEnvironment(definition: RealtimeFunctionDefinition, tables: DataTables): Record<string, string> {
  const ids = new Set(definition.tableAccess.map((entry) => entry.table));
  const entries = [...ids].map((id) => {
    const { definition: tableDefinition, table } = tables.get(id);
    return [tableDefinition.envVar, table.tableName] as const;
  });
  return Object.fromEntries(entries);
}
