import { readFileSync } from 'node:fs';
import { App, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CommStack } from '../../lib/comm-stack.js';

/** Context that every test stack gets on top of cdk.json's own. */
const TEST_CONTEXT = {
  // An empty pattern list matches no stack, so NodejsFunction skips esbuild
  // and the asset points at the source directory instead of a bundle.
  'aws:cdk:bundling-stacks': [],
  jwtIssuer: 'https://auth.test.example/',
  jwtAudience: 'test-audience',
  jwtJwksUri: 'https://auth.test.example/.well-known/jwks.json',
} as const;

/** Returns the context keys of cdk.json, so tests synthesize with the same settings as `cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Builds a CommStack named `CommTest` without bundling. `context` overrides
 * cdk.json and the test defaults; a key set to `undefined` is removed.
 * Without `env` the stack is environment-agnostic, as `cdk synth` makes it
 * when no account and region are resolved.
 */
export function buildStack(context: Record<string, unknown> = {}, env?: Environment): CommStack {
  const merged: Record<string, unknown> = { ...cdkJsonContext(), ...TEST_CONTEXT, ...context };
  for (const [key, value] of Object.entries(merged)) {
    if (value === undefined) delete merged[key];
  }

  const app = new App({ context: merged });
  return new CommStack(app, 'CommTest', { stackName: 'CommTest', env });
}

/** Synthesizes a CommStack (see {@link buildStack}) into a template. */
export function synthTemplate(context: Record<string, unknown> = {}): Template {
  return Template.fromStack(buildStack(context));
}

/** One IAM statement as it appears in a synthesized policy document. */
export interface TemplateStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Returns the logical id of the function whose description is the route key, such as `GET /api/mobile/channels`. */
export function functionIdForRoute(template: Template, routeKey: string): string {
  return functionIdByDescription(template, routeKey);
}

/** Returns the logical id of the one function with this description, such as `WebSocket $connect`. */
export function functionIdByDescription(template: Template, description: string): string {
  const matches = Object.keys(
    template.findResources('AWS::Lambda::Function', { Properties: { Description: description } }),
  );
  if (matches.length !== 1) {
    throw new Error(`Expected one function with description "${description}", found ${matches.length}`);
  }
  return matches[0] as string;
}

/** Returns the environment variables of a function. */
export function environmentOfFunction(template: Template, functionId: string): Record<string, unknown> {
  const resources = template.toJSON().Resources as Resources;
  const environment = resources[functionId]?.Properties?.Environment as { Variables: Record<string, unknown> };
  return environment.Variables;
}

/** Returns the logical id of the one resource of this type, failing when there is none or several. */
export function onlyResourceId(template: Template, type: string, properties: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: properties }));
  if (ids.length !== 1) {
    throw new Error(`Expected one ${type} with ${JSON.stringify(properties)}, found ${ids.length}`);
  }
  return ids[0] as string;
}

/** Returns the logical id of the role a function runs with. */
export function roleIdOfFunction(template: Template, functionId: string): string {
  const resources = template.toJSON().Resources as Resources;
  const role = resources[functionId]?.Properties?.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

/** Returns every statement of every policy attached to the function's role. */
export function statementsOfFunction(template: Template, functionId: string): TemplateStatement[] {
  return statementsOfRole(template, roleIdOfFunction(template, functionId));
}

/** Returns every statement of every policy attached to the role. */
export function statementsOfRole(template: Template, roleId: string): TemplateStatement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{
    Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: TemplateStatement[] } };
  }>;

  return policies
    .filter((policy) => policy.Properties.Roles.some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** One statement together with the roles its policy is attached to. */
export interface AttachedStatement {
  readonly roleIds: readonly string[];
  readonly statement: TemplateStatement;
}

/** Returns every statement of every IAM policy in the template, with the roles it applies to. */
export function allStatements(template: Template): AttachedStatement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{
    Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: TemplateStatement[] } };
  }>;

  return policies.flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.map((statement) => ({
      roleIds: policy.Properties.Roles.map((role) => role.Ref),
      statement,
    })),
  );
}

/** Returns the statement's actions as an array, whether the template lists one or many. */
export function actionsOf(statement: TemplateStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Returns the statement's resources as an array, whether the template lists one or many. */
export function resourcesOf(statement: TemplateStatement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/**
 * Names a policy resource by the table it points at: `posts` for a table ARN,
 * `posts/index/by_published_at` for an index ARN, `posts/stream` for the
 * table's stream ARN, `*` for a wildcard, and `other` for anything else.
 * Tables are recognized by their TableName `CommTest-<id>`.
 */
export function describeTableResource(template: Template, resource: unknown): string {
  if (resource === '*') return '*';

  const resources = template.toJSON().Resources as Resources;
  const tableIdOf = (logicalId: string): string | undefined => {
    const tableName = resources[logicalId]?.Properties?.TableName;
    return typeof tableName === 'string' ? tableName.replace(/^CommTest-/, '') : undefined;
  };

  const getAtt = (resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt !== undefined && getAtt[1] === 'Arn') return tableIdOf(getAtt[0]) ?? 'other';
  if (getAtt !== undefined && getAtt[1] === 'StreamArn') {
    const tableId = tableIdOf(getAtt[0]);
    return tableId === undefined ? 'other' : `${tableId}/stream`;
  }

  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  const [first, suffix] = join?.[1] ?? [];
  const joinedGetAtt = (first as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (joinedGetAtt !== undefined && typeof suffix === 'string') {
    const tableId = tableIdOf(joinedGetAtt[0]);
    return tableId === undefined ? 'other' : `${tableId}${suffix}`;
  }

  return 'other';
}

/**
 * Maps each table (or index) resource to the DynamoDB actions the function's
 * Allow statements grant on it, sorted, for exact comparison.
 */
export function allowedTableActions(template: Template, functionId: string): Record<string, string[]> {
  const granted: Record<string, Set<string>> = {};

  for (const statement of statementsOfFunction(template, functionId)) {
    if (statement.Effect !== 'Allow') continue;
    const actions = actionsOf(statement).filter((action) => action.startsWith('dynamodb:'));
    if (actions.length === 0) continue;

    for (const resource of resourcesOf(statement)) {
      const name = describeTableResource(template, resource);
      granted[name] ??= new Set();
      for (const action of actions) granted[name].add(action);
    }
  }

  return Object.fromEntries(Object.entries(granted).map(([name, actions]) => [name, [...actions].sort()]));
}
