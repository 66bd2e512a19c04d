import { Duration, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type CorsPreflightOptions,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONTEXT_DEFAULTS } from './config.js';
import { toPascalCase } from './naming.js';
import type { RouteDefinition } from './routes.js';

/** Request headers a browser client may send: the bearer token, JSON bodies and idempotency keys. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key'] as const;

/** Response headers a browser client may read; a replayed idempotent request sets this one. */
export const CORS_EXPOSED_HEADERS = ['Idempotent-Replayed'] as const;

/** How long a browser may cache a preflight response. */
const CORS_MAX_AGE = Duration.hours(1);

/**
 * Fields of one JSON access log line. It contains no request header, so the
 * Authorization header and its token never reach the log.
 */
export const ACCESS_LOG_FIELDS = {
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
} as const;

/** One route and the function that serves it. */
export interface RouteBinding {
  readonly route: RouteDefinition;
  readonly function: IFunction;
}

/** Properties of {@link CommHttpApi}. */
export interface CommHttpApiProps {
  /**
   * Issuer whose tokens the JWT authorizer accepts, compared exactly with the
   * `iss` claim. API Gateway finds the signing keys through OpenID discovery
   * at `<issuer>/.well-known/openid-configuration`, so the issuer must serve it.
   */
  readonly jwtIssuer: string;

  /** Accepted audiences. A token passes when its `aud` or `client_id` is one of them. */
  readonly jwtAudience: readonly string[];

  /** Routes to create, each with its integration function. */
  readonly routes: readonly RouteBinding[];

  /**
   * Browser origins allowed by CORS.
   *
   * @default - no CORS configuration, so browsers on other origins cannot call the API
   */
  readonly corsAllowedOrigins?: readonly string[];

  /**
   * Steady-state request rate of the stage, in requests per second.
   *
   * @default 100
   */
  readonly throttleRateLimit?: number;

  /**
   * Burst limit of the stage, in requests.
   *
   * @default 200
   */
  readonly throttleBurstLimit?: number;

  /**
   * Retention of the access log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * The HTTP API of the communication layer: one route per binding, each
 * behind the JWT authorizer, on a `$default` stage that deploys
 * automatically, throttles and writes JSON access logs.
 */
export class CommHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: CommHttpApiProps) {
    super(scope, id);

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      authorizerName: 'jwt',
      jwtAudience: [...props.jwtAudience],
      identitySource: ['$request.header.Authorization'],
    });

    this.api = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-http`,
      description: 'Communication layer HTTP API: channels, posts and access periods.',
      defaultAuthorizer: authorizer,
      corsPreflight: corsPreflight(props.corsAllowedOrigins ?? [], props.routes),
      // The stage below replaces the default one, to add throttling and access logs.
      createDefaultStage: false,
    });

    this.accessLogGroup = new LogGroup(this, 'AccessLogGroup', {
      retention: props.accessLogRetention ?? CONTEXT_DEFAULTS.logRetentionDays,
    });

    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRateLimit ?? CONTEXT_DEFAULTS.throttleRateLimit,
        burstLimit: props.throttleBurstLimit ?? CONTEXT_DEFAULTS.throttleBurstLimit,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const routeSettings = Object.fromEntries(
      props.routes
        .filter(({ route }) => route.throttle !== undefined)
        .map(({ route }) => [
          `${route.method} ${route.path}`,
          // RouteSettings is untyped JSON in CloudFormation, so the keys are written as CloudFormation spells them.
          { ThrottlingRateLimit: route.throttle!.rateLimit, ThrottlingBurstLimit: route.throttle!.burstLimit },
        ]),
    );
    if (Object.keys(routeSettings).length > 0) {
      (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
    }

    for (const { route, function: handler } of props.routes) {
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${toPascalCase(route.handler)}Integration`, handler),
      });
    }
  }

  /** Base URL of the `$default` stage, ending in a slash. */
  get url(): string {
    return this.stage.url;
  }
}

function corsPreflight(
  allowOrigins: readonly string[],
  routes: readonly RouteBinding[],
): CorsPreflightOptions | undefined {
  if (allowOrigins.length === 0) return undefined;

  const methods = new Set(routes.map(({ route }) => CorsHttpMethod[route.method]));
  return {
    allowOrigins: [...allowOrigins],
    allowMethods: [...methods],
    allowHeaders: [...CORS_ALLOWED_HEADERS],
    exposeHeaders: [...CORS_EXPOSED_HEADERS],
    // Tokens travel in the Authorization header, never in cookies.
    allowCredentials: false,
    maxAge: CORS_MAX_AGE,
  };
}
