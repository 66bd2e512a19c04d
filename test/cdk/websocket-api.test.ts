import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environmentOfFunction, functionIdByDescription, onlyResourceId, synthTemplate } from './synth.js';

const template = synthTemplate();

/** Route key and the description of the function that serves it. */
const ROUTE_FUNCTIONS = [
  ['$connect', 'WebSocket $connect'],
  ['$disconnect', 'WebSocket $disconnect'],
  ['subscribe', 'WebSocket subscribe'],
  ['unsubscribe', 'WebSocket unsubscribe'],
  ['ping', 'WebSocket ping'],
  ['$default', 'WebSocket $default'],
] as const;

/** Routes that reply with a frame. */
const MESSAGE_ROUTE_KEYS = ['subscribe', 'unsubscribe', 'ping', '$default'];

const AUTHORIZER_DESCRIPTION = 'WebSocket $connect authorizer';

function webSocketApiRef(source: Template): { Ref: string } {
  return { Ref: onlyResourceId(source, 'AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' }) };
}

function routeIdFor(source: Template, routeKey: string): string {
  return onlyResourceId(source, 'AWS::ApiGatewayV2::Route', { ApiId: webSocketApiRef(source), RouteKey: routeKey });
}

function authorizerIdOf(source: Template): string {
  return onlyResourceId(source, 'AWS::ApiGatewayV2::Authorizer', { ApiId: webSocketApiRef(source) });
}

function stageOf(source: Template): Record<string, unknown> {
  const stageId = onlyResourceId(source, 'AWS::ApiGatewayV2::Stage', { ApiId: webSocketApiRef(source) });
  return (source.toJSON().Resources[stageId] as { Properties: Record<string, unknown> }).Properties;
}

/** The `arn:…:apigateway:<region>:lambda:path/…/invocations` URI that API Gateway calls for a function. */
function invocationUri(functionId: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':apigateway:',
        { Ref: 'AWS::Region' },
        ':lambda:path/2015-03-31/functions/',
        { 'Fn::GetAtt': [functionId, 'Arn'] },
        '/invocations',
      ],
    ],
  };
}

function stageUrl(source: Template, scheme: 'wss' | 'https', stageName: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        `${scheme}://`,
        webSocketApiRef(source),
        '.execute-api.',
        { Ref: 'AWS::Region' },
        '.',
        { Ref: 'AWS::URLSuffix' },
        `/${stageName}`,
      ],
    ],
  };
}

describe('WebSocket API', () => {
  it('selects routes by the action field', () => {
    const apiId = webSocketApiRef(template).Ref;

    const api = template.toJSON().Resources[apiId] as { Properties: Record<string, unknown> };

    expect(api.Properties).toEqual({
      Name: 'CommTest-websocket',
      Description: 'Communication layer WebSocket API: channel subscriptions and identifiers-only deltas.',
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('has exactly the six route keys', () => {
    const routes = Object.values(
      template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: webSocketApiRef(template) } }),
    ) as Array<{ Properties: { RouteKey: string } }>;

    const routeKeys = routes.map((route) => route.Properties.RouteKey).sort();

    expect(routeKeys).toEqual(['$connect', '$default', '$disconnect', 'ping', 'subscribe', 'unsubscribe']);
  });

  it('$connect sits behind the Lambda authorizer', () => {
    const routeId = routeIdFor(template, '$connect');

    const route = template.toJSON().Resources[routeId] as { Properties: Record<string, unknown> };

    expect(route.Properties.AuthorizationType).toBe('CUSTOM');
    expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerIdOf(template) });
  });

  it.each(['$disconnect', ...MESSAGE_ROUTE_KEYS])('%s has no authorizer', (routeKey) => {
    const routeId = routeIdFor(template, routeKey);

    const route = template.toJSON().Resources[routeId] as { Properties: Record<string, unknown> };

    // API Gateway runs a WebSocket authorizer on $connect only. Later
    // messages carry the identity it returned then.
    expect(route.Properties.AuthorizationType).toBe('NONE');
    expect(route.Properties.AuthorizerId).toBeUndefined();
  });

  it.each(ROUTE_FUNCTIONS)('%s integrates its own function', (routeKey, description) => {
    const functionId = functionIdByDescription(template, description);
    const integrationId = onlyResourceId(template, 'AWS::ApiGatewayV2::Integration', {
      IntegrationUri: invocationUri(functionId),
    });

    const integration = template.toJSON().Resources[integrationId] as { Properties: Record<string, unknown> };
    const route = template.toJSON().Resources[routeIdFor(template, routeKey)] as { Properties: Record<string, unknown> };

    expect(integration.Properties).toEqual({
      ApiId: webSocketApiRef(template),
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: invocationUri(functionId),
    });
    expect(route.Properties.Target).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] });
  });

  it.each(MESSAGE_ROUTE_KEYS)('%s sends the response body back', (routeKey) => {
    const routeId = routeIdFor(template, routeKey);

    const route = template.toJSON().Resources[routeId] as { Properties: Record<string, unknown> };
    const responses = Object.values(
      template.findResources('AWS::ApiGatewayV2::RouteResponse', { Properties: { RouteId: { Ref: routeId } } }),
    );

    expect(route.Properties.RouteResponseSelectionExpression).toBe('$default');
    expect(responses).toEqual([
      {
        Type: 'AWS::ApiGatewayV2::RouteResponse',
        Properties: { ApiId: webSocketApiRef(template), RouteId: { Ref: routeId }, RouteResponseKey: '$default' },
      },
    ]);
  });

  it.each(['$connect', '$disconnect'])('%s sends no response', (routeKey) => {
    const routeId = routeIdFor(template, routeKey);

    const route = template.toJSON().Resources[routeId] as { Properties: Record<string, unknown> };
    const responses = template.findResources('AWS::ApiGatewayV2::RouteResponse', {
      Properties: { RouteId: { Ref: routeId } },
    });

    expect(route.Properties.RouteResponseSelectionExpression).toBeUndefined();
    expect(responses).toEqual({});
  });
});

describe('WebSocket authorizer', () => {
  it('runs the authorizer function without identity sources', () => {
    const functionId = functionIdByDescription(template, AUTHORIZER_DESCRIPTION);

    const authorizer = template.toJSON().Resources[authorizerIdOf(template)] as { Properties: Record<string, unknown> };

    // With an identity source API Gateway would reject a browser that sends
    // the token as ?token= instead of the Authorization header.
    expect(authorizer.Properties).toEqual({
      ApiId: webSocketApiRef(template),
      AuthorizerType: 'REQUEST',
      AuthorizerUri: invocationUri(functionId),
      IdentitySource: [],
      Name: 'jwt',
    });
  });

  it('API Gateway may invoke the authorizer function', () => {
    const functionId = functionIdByDescription(template, AUTHORIZER_DESCRIPTION);

    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          Match.arrayWith([webSocketApiRef(template), '/authorizers/', { Ref: authorizerIdOf(template) }]),
        ],
      },
    });
  });

  it('authorizer function gets the JWT settings', () => {
    const functionId = functionIdByDescription(template, AUTHORIZER_DESCRIPTION);

    const environment = environmentOfFunction(template, functionId);

    expect(environment).toEqual({
      ROLE_CLAIM: 'cognito:groups',
      ADMIN_GROUP: 'comm-admin',
      MODERATOR_GROUP: 'comm-moderator',
      JWT_ISSUER: 'https://auth.test.example/',
      JWT_AUDIENCE: 'test-audience',
      JWT_JWKS_URI: 'https://auth.test.example/.well-known/jwks.json',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('JWT settings and origins follow the context', () => {
    const custom = synthTemplate({
      jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
      jwtAudience: ['mobile-client', 'admin-client'],
      jwtJwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json',
      webSocketAllowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
    });

    const environment = environmentOfFunction(custom, functionIdByDescription(custom, AUTHORIZER_DESCRIPTION));

    expect(environment.JWT_ISSUER).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example');
    expect(environment.JWT_AUDIENCE).toBe('mobile-client,admin-client');
    expect(environment.JWT_JWKS_URI).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json',
    );
    expect(environment.WS_ALLOWED_ORIGINS).toBe('https://app.example.com,http://localhost:5173');
  });

  it('rejects an audience with a comma', () => {
    const synth = () => synthTemplate({ jwtAudience: ['mobile,admin'] });

    expect(synth).toThrowError(
      'Invalid CDK context "jwtAudience": "mobile,admin" contains a comma, but the WebSocket authorizer function reads the list comma-separated. Remove the comma from the value.',
    );
  });
});

describe('WebSocket stage', () => {
  it('is "live" with auto-deploy and default throttling', () => {
    const stage = stageOf(template);

    expect(stage).toEqual({
      ApiId: webSocketApiRef(template),
      StageName: 'live',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });

  it('name and throttling follow the context', () => {
    const custom = synthTemplate({ webSocketStageName: 'beta', throttleRateLimit: 25, throttleBurstLimit: '50' });

    const stage = stageOf(custom);

    expect(stage.StageName).toBe('beta');
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 });
  });

  it('outputs the client URL and the management endpoint', () => {
    template.hasOutput('WebSocketUrl', { Value: stageUrl(template, 'wss', 'live') });
    template.hasOutput('WebSocketManagementEndpoint', { Value: stageUrl(template, 'https', 'live') });
  });

  it('outputs follow the stage name', () => {
    const custom = synthTemplate({ webSocketStageName: 'beta' });

    custom.hasOutput('WebSocketUrl', { Value: stageUrl(custom, 'wss', 'beta') });
    custom.hasOutput('WebSocketManagementEndpoint', { Value: stageUrl(custom, 'https', 'beta') });
  });
});
