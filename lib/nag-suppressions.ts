import { Token, Validations, type CfnElement } from 'aws-cdk-lib';
import { WebSocketRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IConstruct } from 'constructs';
import type { CommStack } from './comm-stack.js';
import { MEDIA_KEY_PREFIX } from './media-bucket.js';
import type { RealtimeHandler } from './realtime-functions.js';

/** Handlers whose functions send deltas through the stage's `@connections` endpoint (see stream-fanout.ts). */
const DELIVERY_HANDLERS: readonly RealtimeHandler[] = ['stream-posts', 'stream-forums', 'fanout-worker'];

/**
 * Acknowledges the AwsSolutions (cdk-nag) findings that do not apply to this
 * stack or that are accepted for now, each on the narrowest construct and
 * with its reason. Call it after the stack is built and before synthesis.
 * With the AwsSolutions plugin registered on the app, any other finding
 * still fails synthesis.
 *
 * @throws Error when a delivery function or the default resource of the
 *   media bucket or WebSocket API is missing, so that a renamed construct
 *   does not silently drop its acknowledgement.
 */
export function acknowledgeNagFindings(stack: CommStack): void {
  acknowledgeRuntime(stack);
  acknowledgeStorage(stack);
  acknowledgeWebSocketApi(stack);
  acknowledgeWildcardResources(stack);
  acknowledgeAccessProviderSecret(stack);
}

function acknowledgeRuntime(stack: CommStack): void {
  const functions = [...stack.functions, ...stack.realtimeFunctions.values()].map((handler) => handler.function);
  for (const handler of functions) {
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'All functions share one pinned runtime, Node.js 22, set in handler-function.ts. Moving to a newer runtime ' +
        'is a deliberate upgrade, made after the bundles and their dependencies are checked on it.',
    });
  }
}

function acknowledgeStorage(stack: CommStack): void {
  // NOTE: server access logging is not set up yet. It needs a separate log
  // bucket with its own retention, which this stack does not create.
  Validations.of(stack.media.bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'Server access logs are not enabled yet because the stack has no log bucket. ' +
      'The bucket blocks public access, and clients reach objects only through short-lived presigned URLs from the API.',
  });

  for (const deadLetterQueue of stack.fanout.streamDeadLetterQueues.values()) {
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the on-failure destination of a table stream event source. ' +
        'cdk-nag only recognizes queues named in another queue’s redrive policy as dead-letter queues.',
    });
  }
}

function acknowledgeWebSocketApi(stack: CommStack): void {
  const routes = stack.webSocketApi.api.node.children.filter(
    (child): child is WebSocketRoute => child instanceof WebSocketRoute && child.routeKey !== '$connect',
  );
  for (const route of routes) {
    Validations.of(route).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'API Gateway WebSocket APIs accept an authorizer only on $connect. The Lambda authorizer there checks the JWT, ' +
        'and every later route and $disconnect run on that authorized connection.',
    });
  }

  // NOTE: WebSocket access logging is not set up yet. Unlike HTTP APIs,
  // WebSocket stages write logs through the account-level API Gateway
  // CloudWatch role, which this stack does not manage.
  Validations.of(stack.webSocketApi.stage).acknowledge({
    id: 'AwsSolutions-APIG1',
    reason:
      'Access logging is not enabled yet on the WebSocket stage, because it needs the account-level API Gateway ' +
      'CloudWatch Logs role, which this stack does not manage. The functions behind every route write their own logs.',
  });
}

function acknowledgeWildcardResources(stack: CommStack): void {
  const bucketId = logicalIdOf(stack, stack.media.bucket.node.defaultChild);
  const mediaFunctions = stack.functions.filter(({ route }) => (route.media ?? []).length > 0);
  for (const mediaFunction of mediaFunctions) {
    Validations.of(mediaFunction).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${MEDIA_KEY_PREFIX}*]`,
      reason:
        'Object keys are created per channel and attachment at run time, so the grant names the channels/ prefix ' +
        'of the one media bucket, with only the object actions of the route.',
    });
  }

  const apiId = logicalIdOf(stack, stack.webSocketApi.api.node.defaultChild);
  const stageName = stack.webSocketApi.stage.stageName;
  if (Token.isUnresolved(stageName)) {
    throw new Error('The WebSocket stage name is a token. Give the stage a literal name so its IAM5 finding id can be built.');
  }
  const region = renderedForNag(stack.region, 'AWS::Region');
  const account = renderedForNag(stack.account, 'AWS::AccountId');
  const connectionsResource = `arn:<AWS::Partition>:execute-api:${region}:${account}:<${apiId}>/${stageName}/*/@connections/*`;
  for (const handler of DELIVERY_HANDLERS) {
    Validations.of(requireRealtimeFunction(stack, handler)).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${connectionsResource}]`,
      reason:
        'Connection ids are assigned by API Gateway at connect time, so the @connections grant covers every ' +
        'connection of this one API and stage. It is limited to the management API of that stage.',
    });
  }
}

function acknowledgeAccessProviderSecret(stack: CommStack): void {
  // The secret exists only when the accessProviderUrl context key is set.
  const secret = stack.node.tryFindChild('AccessProviderSecret');
  if (secret === undefined) return;

  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The secret is shared with the external access provider, which must hold the same value. ' +
      'Automatic rotation would break request signing until the provider is updated, so it is rotated by hand.',
  });
}

function requireRealtimeFunction(stack: CommStack, handler: RealtimeHandler): IConstruct {
  const found = stack.realtimeFunctions.get(handler);
  if (found === undefined) {
    throw new Error(`No realtime function for handler "${handler}", so its cdk-nag acknowledgement has no target.`);
  }
  return found;
}

/**
 * Returns a stack attribute as cdk-nag writes it in a finding id: the literal
 * value when the stack has a pinned environment, or `<AWS::Region>` style
 * for the pseudo parameter of an environment-agnostic stack.
 */
function renderedForNag(value: string, pseudoParameter: string): string {
  return Token.isUnresolved(value) ? `<${pseudoParameter}>` : value;
}

/** Returns the logical id that cdk-nag prints for a resource, for example `MediaBucket4022EBBF`. */
function logicalIdOf(stack: CommStack, resource: IConstruct | undefined): string {
  if (resource === undefined) {
    throw new Error('The construct has no default child resource, so its logical id for a cdk-nag finding is unknown.');
  }
  return stack.getLogicalId(resource as CfnElement);
}
