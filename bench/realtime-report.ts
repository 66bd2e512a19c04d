import { count, ms, table } from './markdown.js';
import type { RealtimeResult } from './realtime.js';

/** Renders the realtime section: setup, latency per level, fan-out throughput, and how the local stack differs from AWS. */
export function renderRealtime(result: RealtimeResult): string {
  return [
    '### Realtime deltas',
    '',
    renderSetup(result),
    '',
    '#### Latency from publish request to socket',
    '',
    ...renderLatency(result),
    '#### Fan-out throughput',
    '',
    ...renderThroughput(result),
    ...renderAnomalies(result),
    '#### What stands in for AWS here, and what to expect there',
    '',
    ...STAND_INS,
    '',
    'Expectations in AWS, which are estimates and were not measured:',
    '',
    ...AWS_EXPECTATIONS,
    '',
  ].join('\n');
}

function renderSetup(result: RealtimeResult): string {
  const readers = Math.max(...result.socketLevels);
  return (
    `One local stack (local/stack.ts, in memory, logLevel silent, its own DynamoDB Local) whose stream poller waits ${result.pollIntervalMs} ms after a poll that found no records. ` +
    `One channel and ${count(readers)} readers. Each reader is a \`ws\` client in the benchmark process with its own RS256 token without the admin role, ` +
    'and PUT /api/admin/access/{channelId}/users/{userId} gave it an open subscription period before it subscribed, so every delivery runs the built-in access provider\'s decision. ' +
    `Granting took ${result.setup.grantSeconds.toFixed(1)} s, and opening and subscribing the sockets, ${result.setupConcurrency} at a time, took ${result.setup.connectSeconds.toFixed(1)} s. ` +
    'An admin publishes with POST /api/admin/channels/{channelId}/posts over HTTP.'
  );
}

function renderLatency(result: RealtimeResult): string[] {
  const rows = result.latency.map((level) => [
    count(level.sockets),
    String(level.publishes),
    ms(level.perSocket.median),
    ms(level.perSocket.p99),
    ms(level.lastSocket.median),
    ms(level.lastSocket.p99),
    ms(level.publishRequest.median),
    ms(level.subscriptionsQuery.median),
    String(level.missed),
    String(level.unsubscribed),
    String(level.recheckPublishes),
  ]);
  return [
    `Per level: ${result.warmupPublishes} unmeasured publishes after the level's new sockets subscribed, then ${result.publishesPerLevel} measured publishes one at a time, ` +
      `each after a pause of ${result.pauseMs.min}–${result.pauseMs.max} ms. Each is timed from just before its HTTP request to the \`post.published\` frame on each socket, ` +
      `and the next one waits until every subscribed socket has the delta or ${result.deltaTimeoutMs / 1000} s have passed.`,
    '',
    table(
      [
        'subscribed sockets',
        'publishes',
        'per socket median ms',
        'per socket p99 ms',
        'last socket median ms',
        'last socket p99 ms',
        'publish request median ms',
        'subscriptions Query median ms',
        'missed',
        'unsubscribed',
        'publishes with re-checks',
      ],
      rows,
    ),
    '',
    '"per socket" pools the latency of every socket over the level\'s publishes. "last socket" is the time until the last socket had the delta, one value per publish, ' +
      (result.publishesPerLevel < 100 ? `so with ${result.publishesPerLevel} publishes its nearest-rank p99 is the slowest publish. ` : '') +
      '"subscriptions Query" times the product\'s listSubscriptions for the channel, read between publishes. The stream handler runs the same Query for every delta. ' +
      '"missed" counts deliveries to subscribed sockets that had not arrived when the wait ended. ' +
      '"publishes with re-checks" counts publishes whose fan-out found stored access decisions past their validUntil and asked the provider again. ' +
      'The built-in provider\'s decisions last at most 30 s. A re-check adds a GetItem and an UpdateItem per re-checked subscriber to that delta, and a GetItem of the channel per batch of 100.',
    '',
  ];
}

function renderThroughput(result: RealtimeResult): string[] {
  const { layer, baseline } = result;
  const perSecond = (deliveries: number, elapsedMs: number): string => count(Math.round((deliveries / elapsedMs) * 1000));
  const baselineDeliveries = baseline.clients * baseline.frames;
  const endToEndRate = layer.deliveries / layer.endToEndMs;
  const windowRate = layer.deliveries / layer.deliveryWindowMs;
  const baselineRate = baselineDeliveries / baseline.medianMs;
  const frameBytes = layer.frameBytes.min === layer.frameBytes.max ? `${layer.frameBytes.min}` : `${layer.frameBytes.min}–${layer.frameBytes.max}`;

  return [
    `${layer.posts} posts published back to back, one request at a time (all answered 201 within ${ms(layer.publishMs)} ms), to a channel with ${count(layer.sockets)} subscribed sockets. ` +
      `Each frame is ${frameBytes} bytes. The plain broadcast sends the frames the layer delivered, byte for byte. ` +
      `It runs a \`ws\` WebSocketServer on 127.0.0.1 and ${count(baseline.clients)} \`ws\` clients in the same process, with one \`send\` per client and frame, while the layer's sockets stay open and idle. ` +
      `It ran ${baseline.runs.length} times (${baseline.runs.map((run) => ms(run.ms)).join(', ')} ms).`,
    '',
    table(
      ['path', 'frames', 'deliveries', 'ms', 'deltas delivered per second'],
      [
        ['layer, from the first publish request to the last receipt', String(layer.posts), count(layer.deliveries), ms(layer.endToEndMs), perSecond(layer.deliveries, layer.endToEndMs)],
        ['layer, from the first receipt to the last', String(layer.posts), count(layer.deliveries), ms(layer.deliveryWindowMs), perSecond(layer.deliveries, layer.deliveryWindowMs)],
        ['plain `ws` broadcast, median run', String(baseline.frames), count(baselineDeliveries), ms(baseline.medianMs), perSecond(baselineDeliveries, baseline.medianMs)],
      ],
    ),
    '',
    `Plain broadcast / layer: ${(baselineRate / endToEndRate).toFixed(1)}× from the first publish request, ${(baselineRate / windowRate).toFixed(1)}× over the delivery window. ` +
      'The layer delivers the records of one channel one after another (each delta Queries the subscriptions, then sends one @connections request per socket), ' +
      'so its rate is about the sockets divided by the fan-out time of one delta.',
    '',
  ];
}

/** Lists what went wrong in the run, so a reader does not take an incomplete run for a clean one. */
function renderAnomalies(result: RealtimeResult): string[] {
  const { layer } = result;
  const lines: string[] = [];
  if (layer.deliveries < layer.expectedDeliveries || !layer.completed) {
    lines.push(
      `- The burst delivered ${count(layer.deliveries)} of ${count(layer.expectedDeliveries)} deltas` +
        (layer.completed ? '.' : `, and some subscribed sockets still lacked deltas when the wait ended after ${result.burstTimeoutMs / 1000} s.`),
    );
  }
  const reasons = Object.entries(result.unsubscribedReasons);
  if (reasons.length > 0) {
    lines.push(
      `- Sockets with an open subscription period received \`unsubscribed\` frames: ${reasons.map(([reason, times]) => `${reason} ×${times}`).join(', ')} ` +
        `(${layer.unsubscribed} during the burst, which re-checked ${layer.recheckedSubscriptions} decisions). ` +
        `The benchmark subscribed them again before the next level or the burst (${result.resubscribed} subscribes).`,
    );
  }
  if (result.duplicates > 0) lines.push(`- ${count(result.duplicates)} deltas arrived more than once on the same socket.`);
  if (result.closedEarly > 0) lines.push(`- The server closed ${result.closedEarly} benchmark sockets before the end of the run.`);
  const unexpected = Object.entries(result.unexpectedFrames);
  if (unexpected.length > 0) lines.push(`- Unexpected frames: ${unexpected.map(([type, times]) => `${type} ×${times}`).join(', ')}.`);
  return lines.length > 0 ? ['Problems seen in this run:', '', ...lines, ''] : [];
}

const STAND_INS = [
  '- API Gateway\'s WebSocket API and its @connections endpoint are a Node `ws` server and an HTTP handler in the benchmark\'s own process, on the port of the HTTP API ' +
    '(local/websocket-server.ts, local/connections-endpoint.ts). The stream handler sends every delta with the real ApiGatewayManagementApiClient over HTTP to 127.0.0.1, ' +
    'with the SDK\'s default agent (keep-alive, at most 50 sockets).',
  '- Lambda\'s event source mapping is local/stream-poller.ts. It reads the posts table\'s stream from DynamoDB Local and waits the poll interval above after a poll that found nothing.',
  '- InProcessFanoutDispatcher replaces the fan-out queue and its worker function. The batches of 100 subscribers after the first run in the same process, ' +
    'concurrently with the first and each with 25 sends in flight, instead of going through SQS to the fan-out worker.',
  '- The readers, the stack, its handlers and the plain broadcast share one Node.js event loop, and DynamoDB Local\'s JVM shares the 2 cores. ' +
    'A receipt time therefore includes waiting for the server\'s work on the same loop.',
];

const AWS_EXPECTATIONS = [
  '- Lambda polls each stream shard at a base rate of 4 times per second (AWS Lambda Developer Guide, "Using AWS Lambda with Amazon DynamoDB"). ' +
    'The wait for the next poll is then about 125 ms on average, instead of about half the local interval. A cold start of the stream function adds to the first delta after a quiet period.',
  '- Each delivery is a SigV4-signed HTTPS PostToConnection request to the regional execute-api endpoint instead of a loopback request. ' +
    'With 25 requests in flight per batch, a batch of 100 needs at least 4 network round trips, so per-delta fan-out time depends on that round trip more than on CPU.',
  '- Subscribers after the first 100 go through SQS, so a SendMessageBatch and the worker\'s queue polling add latency to those batches. ' +
    'The SQS event source mapping starts with five concurrent invocations and adds up to 300 per minute (AWS Lambda Developer Guide, ' +
    '"Configuring scaling behavior for SQS event source mappings"). A worker takes up to 10 batches per invocation, so the 9 extra batches of 1,000 sockets ' +
    'run in one to a few worker invocations, each with its own CPU instead of 2 shared cores.',
  '- The stream handler still processes one channel\'s records in order, and the event source mapping keeps ParallelizationFactor at its default of 1. ' +
    'A burst on one channel is therefore also fanned out delta by delta in AWS, and per-channel throughput stays bounded by one delta\'s fan-out time.',
];
