import { Stack } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CONTEXT_DEFAULTS } from './config.js';
import { toPascalCase } from './naming.js';
import { ROUTE_SELECTION_EXPRESSION } from './realtime-settings.js';

/** Route keys that API Gateway reserves for the handshake and the close. They have their own props. */
const CONNECTION_ROUTE_KEYS: ReadonlySet<string> = new Set(['$connect', '$disconnect']);

/** One message route and the function that handles it. */
export interface WebSocketRouteBinding {
  /** Route key, matched against the value of the route selection expression, or `$default`. */
  readonly routeKey: string;
  readonly function: IFunction;
}

/** Properties of {@link CommWebSocketApi}. */
export interface CommWebSocketApiProps {
  /**
   * Lambda REQUEST authorizer of `$connect`. It reads the token from the
   * `Authorization` header or the `token` query parameter and returns an
   * IAM policy with the caller in its context.
   */
  readonly authorizerFunction: IFunction;

  /** Integration of `$connect`, invoked after the authorizer allowed the handshake. */
  readonly connectFunction: IFunction;

  /** Integration of `$disconnect`. */
  readonly disconnectFunction: IFunction;

  /**
   * Message routes. Each is two-way: API Gateway sends the integration's
   * response body back to the client as one frame.
   */
  readonly messageRoutes: readonly WebSocketRouteBinding[];

  /**
   * Expression whose value, per message, picks the route.
   *
   * @default ROUTE_SELECTION_EXPRESSION (`$request.body.action`)
   */
  readonly routeSelectionExpression?: string;

  /**
   * Name of the stage, the last path segment of the WebSocket URL.
   *
   * @default 'live'
   */
  readonly stageName?: string;

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
}

/**
 * The WebSocket API of the communication layer: `$connect` behind a Lambda
 * authorizer, `$disconnect`, and two-way message routes, on one stage that
 * deploys automatically and throttles.
 *
 * @throws Error when `messageRoutes` repeats a route key or names
 *   `$connect` or `$disconnect`.
 */
export class CommWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: CommWebSocketApiProps) {
    super(scope, id);
    assertValidMessageRoutes(props.messageRoutes);

    // API Gateway returns 401 without calling the authorizer function when
    // any identity source is missing, because it requires all of them.
    // Mobile apps send the Authorization header (the CDK default source),
    // but browsers cannot and send `?token=` instead. So the list is empty,
    // and the function runs on every handshake and reads either one.
    // NOTE: not yet deployed from this repository. The API Gateway v2
    // reference marks IdentitySource optional for REQUEST authorizers.
    const authorizer = new WebSocketLambdaAuthorizer('Authorizer', props.authorizerFunction, {
      authorizerName: 'jwt',
      identitySource: [],
    });

    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-websocket`,
      description: 'Communication layer WebSocket API: channel subscriptions and identifiers-only deltas.',
      routeSelectionExpression: props.routeSelectionExpression ?? ROUTE_SELECTION_EXPRESSION,
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', props.connectFunction),
        authorizer,
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('DisconnectIntegration', props.disconnectFunction),
      },
    });

    for (const { routeKey, function: handler } of props.messageRoutes) {
      this.api.addRoute(routeKey, {
        integration: new WebSocketLambdaIntegration(integrationId(routeKey), handler),
        // The handlers reply in their response body, so they need no
        // @connections permission for it.
        returnResponse: true,
      });
    }

    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName ?? CONTEXT_DEFAULTS.webSocketStageName,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRateLimit ?? CONTEXT_DEFAULTS.throttleRateLimit,
        burstLimit: props.throttleBurstLimit ?? CONTEXT_DEFAULTS.throttleBurstLimit,
      },
    });
  }

  /** Client URL of the stage: `wss://<api id>.execute-api.<region>.<url suffix>/<stage>`. */
  get url(): string {
    return this.stage.url;
  }

  /** The stage's `@connections` endpoint, `https://<api id>.execute-api.<region>.<url suffix>/<stage>`. */
  get managementEndpoint(): string {
    return this.stage.callbackUrl;
  }
}

function assertValidMessageRoutes(routes: readonly WebSocketRouteBinding[]): void {
  const seen = new Set<string>();
  for (const { routeKey } of routes) {
    if (CONNECTION_ROUTE_KEYS.has(routeKey)) {
      throw new Error(
        `WebSocket message route "${routeKey}" is reserved: pass its function as connectFunction or disconnectFunction instead.`,
      );
    }
    if (seen.has(routeKey)) {
      throw new Error(`WebSocket message route "${routeKey}" is listed twice. Each route key can have one function.`);
    }
    seen.add(routeKey);
  }
}

/** Construct id of a route's integration, for example `SubscribeIntegration` or `DefaultIntegration` for `$default`. */
function integrationId(routeKey: string): string {
  return `${toPascalCase(routeKey.replace(/^\$/, ''))}Integration`;
}
