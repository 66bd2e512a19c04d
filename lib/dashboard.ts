import { Duration, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  Stats,
  type Metric,
  type IAlarmRef,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { MonitoredResources } from './alarms.js';

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

/** Width of a graph: the dashboard grid is 24 units wide, so two graphs fill a row. */
const HALF_WIDTH = 12;

/** Properties of {@link CommDashboard}. */
export interface CommDashboardProps {
  readonly resources: MonitoredResources;

  /** Alarms whose state the top row shows. */
  readonly alarms: readonly IAlarmRef[];

  /** Failed access provider requests, the metric that the log metric filters publish. */
  readonly accessProviderFailures: Metric;
}

/**
 * One CloudWatch dashboard, `<stack name>-operations`: the state of every
 * alarm, then the HTTP API, the stream consumers and fan-out worker, the
 * delivery lag, the dead-letter queues and the access provider failures.
 */
export class CommDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: CommDashboardProps) {
    super(scope, id);

    const { resources } = props;
    const { httpApi, streamConsumers, workerFunction } = resources;
    const labeledConsumers = streamConsumers.map((consumer) => ({ ...consumer, label: capitalize(consumer.label) }));

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      defaultInterval: Duration.hours(3),
    });

    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }));

    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'HTTP API requests and 5xx',
        left: [httpApi.metricCount({ statistic: Stats.SUM, period: FIVE_MINUTES, label: 'Requests' })],
        right: [httpApi.metricServerError({ statistic: Stats.SUM, period: FIVE_MINUTES, label: '5xx' })],
        width: HALF_WIDTH,
      }),
      new GraphWidget({
        title: 'HTTP API latency p99 (ms)',
        left: [httpApi.metricLatency({ statistic: Stats.p(99), period: FIVE_MINUTES, label: 'Latency p99' })],
        width: HALF_WIDTH,
      }),
    );

    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Stream consumers and fan-out worker: errors and throttles',
        left: [
          ...labeledConsumers.flatMap(({ label, function: consumer }) => functionMetrics(consumer, `${label} consumer`)),
          ...functionMetrics(workerFunction, 'Fan-out worker'),
        ],
        width: HALF_WIDTH,
      }),
      new GraphWidget({
        title: 'Stream consumers and fan-out worker: duration p99 (ms)',
        left: [
          ...labeledConsumers.map(({ label, function: consumer }) =>
            consumer.metricDuration({ statistic: Stats.p(99), period: FIVE_MINUTES, label: `${label} consumer p99` }),
          ),
          workerFunction.metricDuration({ statistic: Stats.p(99), period: FIVE_MINUTES, label: 'Fan-out worker p99' }),
        ],
        width: HALF_WIDTH,
      }),
    );

    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Delivery lag',
        left: labeledConsumers.map(({ label, function: consumer }) =>
          consumer.metric('IteratorAge', { statistic: Stats.MAXIMUM, period: ONE_MINUTE, label: `${label} iterator age max (ms)` }),
        ),
        right: [
          resources.fanoutQueue.metricApproximateAgeOfOldestMessage({
            statistic: Stats.MAXIMUM,
            period: ONE_MINUTE,
            label: 'Oldest fan-out message (s)',
          }),
        ],
        width: HALF_WIDTH,
      }),
      new GraphWidget({
        title: 'Dead-letter queues and access provider failures',
        left: [
          ...labeledConsumers.map(({ label, deadLetterQueue }) =>
            deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              statistic: Stats.MAXIMUM,
              period: FIVE_MINUTES,
              label: `${label} DLQ messages`,
            }),
          ),
          resources.fanoutDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MAXIMUM,
            period: FIVE_MINUTES,
            label: 'Fan-out DLQ messages',
          }),
        ],
        right: [props.accessProviderFailures.with({ label: 'Access provider failures' })],
        width: HALF_WIDTH,
      }),
    );
  }
}

/** Returns the errors and throttles of one function, summed over 5 minutes. */
function functionMetrics(handler: IFunction, label: string): IMetric[] {
  return [
    handler.metricErrors({ statistic: Stats.SUM, period: FIVE_MINUTES, label: `${label} errors` }),
    handler.metricThrottles({ statistic: Stats.SUM, period: FIVE_MINUTES, label: `${label} throttles` }),
  ];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
