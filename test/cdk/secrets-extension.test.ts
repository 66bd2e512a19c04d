import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/routes.js';
import {
  actionsOf,
  allStatements,
  buildStack,
  environmentOfFunction,
  onlyResourceId,
  resourcesOf,
  synthTemplate,
} from './synth.js';

const PROVIDER_URL = 'https://access.test.example/decide';
const template = synthTemplate();
const withHttpProvider = synthTemplate({ accessProviderUrl: PROVIDER_URL });

/** Functions that call the access provider: routes that read the access table, and four realtime functions. */
const ACCESS_CHECKERS = [
  ...ROUTES.filter((route) => route.reads.includes('access')).map((route) => `${route.method} ${route.path}`),
  'WebSocket subscribe',
  'Posts table stream consumer',
  'Topics and messages table stream consumer',
  'Fan-out queue consumer',
].sort();

/** Variables the extension reads, as the stack sets them. */
const EXTENSION_ENVIRONMENT = {
  PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'true',
  PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE: '1000',
  PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
  PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL: 'info',
  PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS: '3',
  SECRETS_MANAGER_TIMEOUT_MILLIS: '2000',
  SECRETS_MANAGER_TTL: '300',
  SSM_PARAMETER_STORE_TIMEOUT_MILLIS: '0',
  SSM_PARAMETER_STORE_TTL: '300',
};

/** Layer ARN of extension 1.0.103 for arm64 in eu-west-1, from aws-cdk-lib's region facts. */
const EU_WEST_1_LAYER = 'arn:aws:lambda:eu-west-1:015030872274:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:4';

interface FunctionResource {
  readonly Properties: { Description: string; Layers?: unknown[]; Environment: { Variables: Record<string, unknown> } };
}

function functions(source: Template): Array<[string, FunctionResource]> {
  return Object.entries(source.findResources('AWS::Lambda::Function')) as Array<[string, FunctionResource]>;
}

function descriptionsWhere(source: Template, predicate: (resource: FunctionResource) => boolean): string[] {
  return functions(source)
    .filter(([, resource]) => predicate(resource))
    .map(([, resource]) => resource.Properties.Description)
    .sort();
}

describe('Parameters and Secrets extension', () => {
  it('is on no function without accessProviderUrl', () => {
    const withLayers = descriptionsWhere(template, (resource) => resource.Properties.Layers !== undefined);

    expect(withLayers).toEqual([]);
    expect(template.toJSON().Mappings).toBeUndefined();
  });

  it('is on exactly the functions that get the secret ARN', () => {
    const withLayers = descriptionsWhere(withHttpProvider, (resource) => resource.Properties.Layers !== undefined);
    const withSecret = descriptionsWhere(
      withHttpProvider,
      (resource) => resource.Properties.Environment.Variables.ACCESS_PROVIDER_SECRET_ARN !== undefined,
    );

    expect(withSecret).toEqual(ACCESS_CHECKERS);
    expect(withLayers).toEqual(withSecret);
  });

  it.each(ACCESS_CHECKERS)('%s gets the layer for its region', (description) => {
    const [, resource] = functions(withHttpProvider).find(([, candidate]) => candidate.Properties.Description === description)!;

    expect(resource.Properties.Layers).toEqual([
      { 'Fn::FindInMap': ['ParamsandsecretslayerMap', { Ref: 'AWS::Region' }, '1x0x103xarm64'] },
    ]);
  });

  it('maps regions to the arm64 layer', () => {
    const mappings = withHttpProvider.toJSON().Mappings as Record<string, Record<string, Record<string, string>>>;

    expect(Object.keys(mappings)).toEqual(['ParamsandsecretslayerMap']);
    expect(mappings.ParamsandsecretslayerMap?.['eu-west-1']).toEqual({ '1x0x103xarm64': EU_WEST_1_LAYER });
    for (const byVersion of Object.values(mappings.ParamsandsecretslayerMap ?? {})) {
      expect(byVersion['1x0x103xarm64']).toMatch(/:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/);
    }
  });

  it.each(ACCESS_CHECKERS)('%s gets the extension settings', (description) => {
    const [functionId] = functions(withHttpProvider).find(([, candidate]) => candidate.Properties.Description === description)!;

    const environment = environmentOfFunction(withHttpProvider, functionId);

    expect(Object.fromEntries(Object.keys(EXTENSION_ENVIRONMENT).map((name) => [name, environment[name]]))).toEqual(
      EXTENSION_ENVIRONMENT,
    );
  });

  it('sets no extension variable on other functions', () => {
    const others = functions(withHttpProvider).filter(
      ([, resource]) => !ACCESS_CHECKERS.includes(resource.Properties.Description),
    );

    expect(others.length).toBeGreaterThan(0);
    for (const [functionId] of others) {
      const names = Object.keys(environmentOfFunction(withHttpProvider, functionId));
      expect(names.filter((name) => name in EXTENSION_ENVIRONMENT)).toEqual([]);
    }
  });

  it('secret reads name only the provider secret', () => {
    const secretId = onlyResourceId(withHttpProvider, 'AWS::SecretsManager::Secret');

    const secretStatements = allStatements(withHttpProvider)
      .map(({ statement }) => statement)
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:')));

    expect(secretStatements).toHaveLength(ACCESS_CHECKERS.length);
    for (const statement of secretStatements) {
      expect(actionsOf(statement)).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
      expect(resourcesOf(statement)).toEqual([{ Ref: secretId }]);
    }
  });

  it('uses the literal layer ARN in a pinned region', () => {
    const pinned = Template.fromStack(
      buildStack({ accessProviderUrl: PROVIDER_URL }, { account: '123456789012', region: 'eu-west-1' }),
    );

    const layers = functions(pinned)
      .map(([, resource]) => resource.Properties.Layers)
      .filter((layerList) => layerList !== undefined);

    expect(layers).toEqual(ACCESS_CHECKERS.map(() => [EU_WEST_1_LAYER]));
    expect(pinned.toJSON().Mappings).toBeUndefined();
  });

  it('fails synth in a pinned region without an arm64 layer', () => {
    const build = () => buildStack({ accessProviderUrl: PROVIDER_URL }, { account: '123456789012', region: 'il-central-1' });

    expect(build).toThrowError('Parameters and Secrets Extension is not supported in region il-central-1 for arm64 architecture');
  });
});
