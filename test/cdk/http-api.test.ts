import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/routes.js';
import { functionIdForRoute, onlyResourceId, synthTemplate } from './synth.js';

const template = synthTemplate();

const ROUTE_KEYS = ROUTES.map((route) => `${route.method} ${route.path}`);

/** Returns a Ref to the HTTP API. The stack also has a WebSocket API, so every lookup below is narrowed to this one. */
function httpApiRef(source: typeof template): { Ref: string } {
  return { Ref: onlyResourceId(source, 'AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' }) };
}

function authorizerId(source: typeof template): string {
  const ids = Object.keys(
    source.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { ApiId: httpApiRef(source) } }),
  );
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

function stageProperties(source: typeof template): Record<string, unknown> {
  const stages = Object.values(
    source.findResources('AWS::ApiGatewayV2::Stage', { Properties: { ApiId: httpApiRef(source) } }),
  ) as Array<{
    Properties: Record<string, unknown>;
  }>;
  expect(stages).toHaveLength(1);
  return stages[0]!.Properties;
}

describe('HTTP API', () => {
  it('creates one route per ROUTES entry and no other', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: httpApiRef(template) } });

    expect(Object.keys(routes)).toHaveLength(ROUTES.length);
  });

  it.each(ROUTE_KEYS)('%s sits behind the JWT authorizer', (routeKey) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizerId(template) },
    });
  });

  it.each(ROUTE_KEYS)('%s integrates its own function', (routeKey) => {
    const functionId = functionIdForRoute(template, routeKey);
    const [integrationId] = Object.keys(
      template.findResources('AWS::ApiGatewayV2::Integration', {
        Properties: { IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] } },
      }),
    );

    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
  });

  it('authorizer trusts the configured issuer and audience', () => {
    const custom = synthTemplate({
      jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
      jwtAudience: ['mobile-client', 'admin-client'],
    });

    custom.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
        Audience: ['mobile-client', 'admin-client'],
      },
    });
  });

  it('default stage deploys automatically with default throttling', () => {
    const stage = stageProperties(template);

    expect(stage.StageName).toBe('$default');
    expect(stage.AutoDeploy).toBe(true);
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
  });

  it('throttling follows the context', () => {
    const custom = synthTemplate({ throttleRateLimit: 25, throttleBurstLimit: '50' });

    const stage = stageProperties(custom);

    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 });
  });

  it('throttles write routes tighter than the stage', () => {
    const stage = stageProperties(template);

    expect(stage.RouteSettings).toEqual({
      'POST /api/admin/channels': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'PATCH /api/admin/channels/{channelId}': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'POST /api/admin/channels/{channelId}/posts': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'POST /api/admin/channels/{channelId}/posts/import': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'PATCH /api/admin/channels/{channelId}/posts/{postId}': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'DELETE /api/admin/channels/{channelId}/posts/{postId}': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'PUT /api/admin/access/{channelId}/users/{userId}': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'POST /api/admin/channels/{channelId}/uploads': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'GET /api/admin/audit': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'POST /api/admin/forums': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'PUT /api/admin/topics/{topicId}/lock': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'PUT /api/admin/topics/{topicId}/pin': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'PUT /api/admin/topics/{topicId}/slow-mode': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'PUT /api/admin/forums/{forumId}/mutes/{userId}': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'DELETE /api/admin/forums/{forumId}/mutes/{userId}': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
  });

  it('access log is JSON without headers', () => {
    const settings = stageProperties(template).AccessLogSettings as { Format: string; DestinationArn: unknown };
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((id) =>
      id.startsWith('HttpAccessLogGroup'),
    );

    const format = JSON.parse(settings.Format) as Record<string, string>;

    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    expect(format).toEqual({
      requestId: '$context.requestId',
      requestTime: '$context.requestTime',
      httpMethod: '$context.httpMethod',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      authorizerError: '$context.authorizer.error',
    });
    expect(settings.Format.toLowerCase()).not.toContain('authorization');
    expect(settings.Format).not.toContain('$request.header');
  });

  it('access log group is kept 30 days', () => {
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    const accessLogGroups = Object.entries(logGroups).filter(([id]) => id.startsWith('HttpAccessLogGroup'));

    expect(accessLogGroups).toHaveLength(1);
    expect(accessLogGroups[0]![1]).toEqual({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('has no CORS configuration by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.absent(),
    });
  });

  it('allows the configured CORS origins', () => {
    const custom = synthTemplate({ corsAllowedOrigins: ['https://app.example.com', 'http://localhost:5173'] });

    custom.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com', 'http://localhost:5173'],
        AllowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
        AllowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'],
        ExposeHeaders: ['Idempotent-Replayed'],
        AllowCredentials: false,
        MaxAge: 3600,
      },
    });
  });

  it('outputs the stage URL', () => {
    const apiId = httpApiRef(template).Ref;

    template.hasOutput('HttpApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          ['https://', { Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/'],
        ],
      },
    });
  });
});
