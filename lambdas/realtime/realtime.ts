import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ManagementApiConnections, type ConnectionsApi } from '../adapters/connections-api.js';
import { EventBridgeIntegrationEvents, type IntegrationEvents } from '../adapters/integration-events.js';
import type { App } from '../app.js';
import type { Environment } from '../config.js';
import { deliverBatch } from './delivery.js';
import { InProcessFanoutDispatcher, SqsFanoutDispatcher, type FanoutBatch, type FanoutDispatcher } from './fanout.js';

/** The outbound side of realtime delivery: sockets, platform events and the fan-out queue. */
export interface Realtime {
  readonly connections: ConnectionsApi;
  readonly events: IntegrationEvents;
  readonly fanout: FanoutDispatcher;
}

export interface RealtimeOverrides {
  readonly connections?: ConnectionsApi;
  readonly events?: IntegrationEvents;
  readonly fanout?: FanoutDispatcher;
}

/**
 * Builds the realtime adapters from the environment the CDK stack sets:
 * `WEBSOCKET_MANAGEMENT_ENDPOINT` (the stage's https URL), `EVENT_BUS_NAME`
 * and `FANOUT_QUEUE_URL`. Without a queue, batches are delivered in this
 * process with `deliver`.
 */
export function createRealtime(env: Environment, deliver: (batch: FanoutBatch) => Promise<void>, overrides: RealtimeOverrides = {}): Realtime {
  const endpoint = env.WEBSOCKET_MANAGEMENT_ENDPOINT;
  let connections = overrides.connections;
  if (!connections) {
    if (!endpoint) throw new Error('Missing environment variable WEBSOCKET_MANAGEMENT_ENDPOINT: set it to the WebSocket stage URL');
    connections = new ManagementApiConnections(new ApiGatewayManagementApiClient({ endpoint }));
  }

  // Built on first publish: only the stream consumer publishes, so other functions need no bus.
  let busEvents: IntegrationEvents | undefined;
  const events: IntegrationEvents = overrides.events ?? {
    publish: (changes) => {
      if (!env.EVENT_BUS_NAME) throw new Error('Missing environment variable EVENT_BUS_NAME: set it to the integration event bus name');
      busEvents ??= new EventBridgeIntegrationEvents(new EventBridgeClient({}), env.EVENT_BUS_NAME);
      return busEvents.publish(changes);
    },
  };
  const fanout = overrides.fanout ?? (env.FANOUT_QUEUE_URL ? new SqsFanoutDispatcher(new SQSClient({}), env.FANOUT_QUEUE_URL) : new InProcessFanoutDispatcher(deliver));
  return { connections, events, fanout };
}

const realtimeByApp = new WeakMap<App, Realtime>();

/** Returns the App's realtime adapters, built on first use so HTTP-only functions never load them. */
export function realtimeFor(app: App): Realtime {
  let realtime = realtimeByApp.get(app);
  if (!realtime) {
    const created: Realtime = createRealtime(app.env, (batch) => deliverBatch(app, created, batch), app.realtimeOverrides);
    realtime = created;
    realtimeByApp.set(app, realtime);
  }
  return realtime;
}
