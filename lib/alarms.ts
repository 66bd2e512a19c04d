import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { toPascalCase } from './naming.js';

/** Namespace of the metrics that the stack derives from its own logs. */
export const CUSTOM_METRIC_NAMESPACE = 'CommLayer';

/** Metric that counts failed access provider requests, one per log line. */
export const ACCESS_PROVIDER_FAILURES_METRIC = 'AccessProviderFailures';

/**
 * `message` of the warning that the HTTP access provider logs when a request
 * fails, times out or returns a non-2xx status. The built-in provider never
 * logs it, so without `accessProviderUrl` the metric stays empty.
 */
export const ACCESS_PROVIDER_FAILURE_MESSAGE = 'Access provider request failed';

/** Thresholds of the alarms. docs/operations.md explains what each one guards. */
export const ALARM_THRESHOLDS = {
  /** Percent of HTTP requests that returned 5xx in 5 minutes; 1% is ten times the 0.1% monthly error budget. */
  httpServerErrorPercent: 1,
  /** WebSocket integration and execution errors in 5 minutes. A few isolated ones show on the dashboard only. */
  webSocketErrors: 5,
  /** Percent of a route function's invocations that fail in 5 minutes. */
  routeFunctionErrorPercent: 1,
  /** Errors or throttles of a stream consumer or the fan-out worker in 5 minutes. Each one delays or retries deltas. */
  deliveryFunctionFailures: 1,
  /** Age of the newest stream record processed, in milliseconds, over three consecutive minutes. */
  iteratorAgeMs: 60_000,
  /** Messages in a dead-letter queue. Every one is a delivery that gave up. */
  deadLetterMessages: 1,
  /** Age of the oldest fan-out message, in seconds, over three consecutive minutes. */
  fanoutOldestMessageSeconds: 60,
  /** Failed access provider requests in 5 minutes. Each failure returns 503 to the caller. */
  accessProviderFailures: 5,
} as const;

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

/** Consecutive one-minute periods that a lag alarm (iterator age, queue age) must breach. */
const LAG_EVALUATION_PERIODS = 3;

/** One Lambda function the alarms watch. */
export interface MonitoredFunction {
  /** Handler module name, such as `list-posts`. It names the function's alarm and metric filter. */
  readonly handler: string;
  readonly function: IFunction;
  readonly logGroup: ILogGroup;
}

/** One table stream consumer the alarms watch, with its dead-letter queue. */
export interface MonitoredStreamConsumer {
  /**
   * Kebab-case start of the consumer's alarm names: `<prefix>-consumer-errors`,
   * `<prefix>-consumer-throttles`, `<prefix>-iterator-age` and `<prefix>-dlq-depth`.
   */
  readonly alarmPrefix: string;
  /** Lower-case name in alarm descriptions and dashboard labels, such as `posts stream`. */
  readonly label: string;
  readonly function: IFunction;
  readonly deadLetterQueue: IQueue;
}

/** Resources that the alarms and the dashboard watch. */
export interface MonitoredResources {
  readonly httpApi: HttpApi;
  readonly webSocketStage: WebSocketStage;
  /** One function per HTTP route. Each gets an error-rate alarm. */
  readonly routeFunctions: readonly MonitoredFunction[];
  /** Consumers of the table streams. Each gets error, throttle, iterator age and dead-letter alarms. */
  readonly streamConsumers: readonly MonitoredStreamConsumer[];
  /** Consumer of the fan-out queue. */
  readonly workerFunction: IFunction;
  /** Functions that call the access provider. Each log group gets the provider-failure metric filter. */
  readonly accessCheckFunctions: readonly MonitoredFunction[];
  readonly fanoutQueue: IQueue;
  readonly fanoutDeadLetterQueue: IQueue;
}

/** Properties of {@link CommAlarms}. */
export interface CommAlarmsProps {
  readonly resources: MonitoredResources;

  /** Topic that every alarm notifies when it fires and when it returns to OK. */
  readonly topic: ITopic;
}

interface AlarmDefinition {
  /** Kebab-case name. The alarm is named `<stack name>-<name>`, and its construct id is the PascalCase form. */
  readonly name: string;
  readonly description: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** Periods evaluated. All of them must breach. */
  readonly evaluationPeriods: number;
}

/**
 * CloudWatch alarms of the communication layer: HTTP 5xx rate, WebSocket
 * integration errors, Lambda errors and throttles, stream iterator age,
 * dead-letter queue depth, fan-out queue age and access provider failures.
 * Every alarm treats missing data as not breaching, because each metric
 * exists only while there is traffic, and notifies the topic on ALARM and OK.
 */
export class CommAlarms extends Construct {
  readonly resources: MonitoredResources;
  readonly alarms: Alarm[] = [];
  /** Sum of failed access provider requests over 5 minutes, from the metric filters. */
  readonly accessProviderFailures: Metric;

  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: CommAlarmsProps) {
    super(scope, id);

    const { resources } = props;
    this.resources = resources;
    this.action = new SnsAction(props.topic);
    this.accessProviderFailures = accessProviderFailuresMetric();

    this.addApiAlarms(resources);
    this.addRouteFunctionAlarms(resources.routeFunctions);
    this.addDeliveryAlarms(resources);
    this.addAccessProviderAlarm(resources.accessCheckFunctions);
  }

  private addApiAlarms(resources: MonitoredResources): void {
    this.addAlarm({
      name: 'http-5xx-rate',
      description: `More than ${ALARM_THRESHOLDS.httpServerErrorPercent}% of HTTP API requests returned 5xx in 5 minutes.`,
      metric: new MathExpression({
        expression: '100 * serverErrors / requests',
        usingMetrics: {
          serverErrors: resources.httpApi.metricServerError({ statistic: Stats.SUM, period: FIVE_MINUTES }),
          requests: resources.httpApi.metricCount({ statistic: Stats.SUM, period: FIVE_MINUTES }),
        },
        label: 'HTTP 5xx (%)',
        period: FIVE_MINUTES,
      }),
      threshold: ALARM_THRESHOLDS.httpServerErrorPercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    // aws-cdk-lib 2.278 has no named WebSocket metrics. The stage's generic
    // metric() adds the ApiId and Stage dimensions. The integrations always
    // return status 200, so both counts mean a failed or throttled function.
    // FILL keeps the sum defined when only one of the two metrics has data.
    this.addAlarm({
      name: 'websocket-errors',
      description: `WebSocket integrations failed ${ALARM_THRESHOLDS.webSocketErrors} or more times in 5 minutes.`,
      metric: new MathExpression({
        expression: 'FILL(integrationErrors, 0) + FILL(executionErrors, 0)',
        usingMetrics: {
          integrationErrors: resources.webSocketStage.metric('IntegrationError', { statistic: Stats.SUM, period: FIVE_MINUTES }),
          executionErrors: resources.webSocketStage.metric('ExecutionError', { statistic: Stats.SUM, period: FIVE_MINUTES }),
        },
        label: 'WebSocket errors',
        period: FIVE_MINUTES,
      }),
      threshold: ALARM_THRESHOLDS.webSocketErrors,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /**
   * Adds one error-rate alarm per route function. An alarm may reference at
   * most 10 metrics, so one alarm over all routes cannot compute the rate.
   */
  private addRouteFunctionAlarms(routeFunctions: readonly MonitoredFunction[]): void {
    for (const { handler, function: routeFunction } of routeFunctions) {
      this.addAlarm({
        name: `${handler}-error-rate`,
        description: `More than ${ALARM_THRESHOLDS.routeFunctionErrorPercent}% of ${handler} invocations failed in 5 minutes.`,
        metric: new MathExpression({
          expression: '100 * errors / invocations',
          usingMetrics: {
            errors: routeFunction.metricErrors({ statistic: Stats.SUM, period: FIVE_MINUTES }),
            invocations: routeFunction.metricInvocations({ statistic: Stats.SUM, period: FIVE_MINUTES }),
          },
          label: `${handler} errors (%)`,
          period: FIVE_MINUTES,
        }),
        threshold: ALARM_THRESHOLDS.routeFunctionErrorPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
  }

  private addDeliveryAlarms(resources: MonitoredResources): void {
    const deliveryFunctions = [
      ...resources.streamConsumers.map(({ alarmPrefix, label, function: consumer }) => ({
        name: `${alarmPrefix}-consumer`,
        label: `The ${label} consumer`,
        function: consumer,
      })),
      { name: 'fanout-worker', label: 'The fan-out worker', function: resources.workerFunction },
    ];
    for (const { name, label, function: deliveryFunction } of deliveryFunctions) {
      this.addAlarm({
        name: `${name}-errors`,
        description: `${label} failed at least once in 5 minutes.`,
        metric: deliveryFunction.metricErrors({ statistic: Stats.SUM, period: FIVE_MINUTES }),
        threshold: ALARM_THRESHOLDS.deliveryFunctionFailures,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      this.addAlarm({
        name: `${name}-throttles`,
        description: `${label} was throttled at least once in 5 minutes.`,
        metric: deliveryFunction.metricThrottles({ statistic: Stats.SUM, period: FIVE_MINUTES }),
        threshold: ALARM_THRESHOLDS.deliveryFunctionFailures,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    // With only the FunctionName dimension, IteratorAge covers every stream
    // of a consumer, and the Maximum statistic reports the slowest one.
    for (const { alarmPrefix, label, function: consumer } of resources.streamConsumers) {
      this.addAlarm({
        name: `${alarmPrefix}-iterator-age`,
        description: `The ${label} consumer lagged more than ${ALARM_THRESHOLDS.iteratorAgeMs / 1000} s behind the stream for ${LAG_EVALUATION_PERIODS} minutes.`,
        metric: consumer.metric('IteratorAge', { statistic: Stats.MAXIMUM, period: ONE_MINUTE }),
        threshold: ALARM_THRESHOLDS.iteratorAgeMs,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: LAG_EVALUATION_PERIODS,
      });
    }

    const deadLetterQueues = [
      ...resources.streamConsumers.map(({ alarmPrefix, label, deadLetterQueue }) => ({
        name: `${alarmPrefix}-dlq-depth`,
        label: `${label} dead-letter queue`,
        queue: deadLetterQueue,
      })),
      { name: 'fanout-dlq-depth', label: 'fan-out dead-letter queue', queue: resources.fanoutDeadLetterQueue },
    ];
    for (const { name, label, queue } of deadLetterQueues) {
      this.addAlarm({
        name,
        description: `The ${label} contains at least one message.`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, period: FIVE_MINUTES }),
        threshold: ALARM_THRESHOLDS.deadLetterMessages,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    this.addAlarm({
      name: 'fanout-queue-age',
      description: `The oldest fan-out message waited more than ${ALARM_THRESHOLDS.fanoutOldestMessageSeconds} s for ${LAG_EVALUATION_PERIODS} minutes.`,
      metric: resources.fanoutQueue.metricApproximateAgeOfOldestMessage({ statistic: Stats.MAXIMUM, period: ONE_MINUTE }),
      threshold: ALARM_THRESHOLDS.fanoutOldestMessageSeconds,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: LAG_EVALUATION_PERIODS,
    });
  }

  /**
   * Counts the provider's failure warnings with one metric filter per log
   * group. The filters publish the same metric without dimensions, so the
   * alarm sums the failures of all functions.
   */
  private addAccessProviderAlarm(accessCheckFunctions: readonly MonitoredFunction[]): void {
    for (const { handler, logGroup } of accessCheckFunctions) {
      new MetricFilter(this, `${toPascalCase(handler)}AccessProviderFailureFilter`, {
        logGroup,
        // The logger writes one JSON object per line, and Lambda's JSON log
        // format keeps such a line as it is.
        filterPattern: FilterPattern.stringValue('$.message', '=', ACCESS_PROVIDER_FAILURE_MESSAGE),
        metricNamespace: CUSTOM_METRIC_NAMESPACE,
        metricName: ACCESS_PROVIDER_FAILURES_METRIC,
        metricValue: '1',
      });
    }

    this.addAlarm({
      name: 'access-provider-failures',
      description: `Access provider requests failed ${ALARM_THRESHOLDS.accessProviderFailures} or more times in 5 minutes.`,
      metric: this.accessProviderFailures,
      threshold: ALARM_THRESHOLDS.accessProviderFailures,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  private addAlarm(definition: AlarmDefinition): void {
    const alarm = new Alarm(this, toPascalCase(definition.name), {
      alarmName: `${Stack.of(this).stackName}-${definition.name}`,
      alarmDescription: `${definition.description} See "SLOs and alarms" in docs/operations.md.`,
      metric: definition.metric,
      threshold: definition.threshold,
      comparisonOperator: definition.comparisonOperator,
      evaluationPeriods: definition.evaluationPeriods,
      datapointsToAlarm: definition.evaluationPeriods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}

/** Returns the sum of failed access provider requests over 5 minutes. */
function accessProviderFailuresMetric(): Metric {
  return new Metric({
    namespace: CUSTOM_METRIC_NAMESPACE,
    metricName: ACCESS_PROVIDER_FAILURES_METRIC,
    statistic: Stats.SUM,
    period: FIVE_MINUTES,
  });
}
