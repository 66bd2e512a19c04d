import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/routes.js';
import { buildStack, functionIdByDescription, functionIdForRoute, onlyResourceId, synthTemplate } from './synth.js';

const template = synthTemplate();

const STREAM = 'Posts table stream consumer';
const FORUM_STREAM = 'Topics and messages table stream consumer';
const WORKER = 'Fan-out queue consumer';

/**
 * 28 route error rates, 2 API alarms, 6 delivery function alarms (errors and
 * throttles of two stream consumers and the worker), 2 iterator ages, 3 DLQs,
 * queue age and provider failures.
 */
const EXPECTED_ALARM_COUNT = 43;

type Dimension = { Name: string; Value: unknown };

interface MetricStat {
  readonly Metric: { Namespace: string; MetricName: string; Dimensions?: Dimension[] };
  readonly Period: number;
  readonly Stat: string;
}

interface MetricQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly MetricStat?: MetricStat;
  readonly ReturnData: boolean;
}

interface AlarmProperties {
  readonly AlarmName: string;
  readonly AlarmActions: unknown[];
  readonly OKActions: unknown[];
  readonly TreatMissingData: string;
  readonly ComparisonOperator: string;
  readonly Threshold: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm: number;
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Statistic?: string;
  readonly Period?: number;
  readonly Dimensions?: Dimension[];
  readonly Metrics?: MetricQuery[];
}

function allAlarms(source: Template): AlarmProperties[] {
  return Object.values(source.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => (alarm as { Properties: AlarmProperties }).Properties,
  );
}

function alarm(source: Template, name: string): AlarmProperties {
  const id = onlyResourceId(source, 'AWS::CloudWatch::Alarm', { AlarmName: `CommTest-${name}` });
  return (source.toJSON().Resources[id] as { Properties: AlarmProperties }).Properties;
}

/** Returns the alarm's metric queries by id, each without its ReturnData flag. */
function queriesOf(properties: AlarmProperties): Record<string, Omit<MetricQuery, 'Id' | 'ReturnData'>> {
  return Object.fromEntries(
    (properties.Metrics ?? []).map(({ Id, ReturnData: _returnData, ...query }) => [Id, query]),
  );
}

function queueId(prefix: string): string {
  const ids = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

function logGroupOfFunction(functionId: string): unknown {
  const resource = template.toJSON().Resources[functionId] as { Properties: { LoggingConfig: { LogGroup: unknown } } };
  return resource.Properties.LoggingConfig.LogGroup;
}

function sortedByJson(values: unknown[]): unknown[] {
  return [...values].sort((left, right) => JSON.stringify(left).localeCompare(JSON.stringify(right)));
}

/** Replaces every token of a Fn::Join with "TOKEN", so that the dashboard body parses as JSON. */
function dashboardBody(source: Template): { widgets: Array<{ type: string; properties: Record<string, unknown> }> } {
  const dashboardId = onlyResourceId(source, 'AWS::CloudWatch::Dashboard');
  const body = (source.toJSON().Resources[dashboardId] as { Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } } })
    .Properties.DashboardBody;
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text) as { widgets: Array<{ type: string; properties: Record<string, unknown> }> };
}

describe('alarm topic', () => {
  it('is the only topic and enforces TLS', () => {
    const topicId = onlyResourceId(template, 'AWS::SNS::Topic');

    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'CommTest alarms' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'AllowPublishThroughSSLOnly',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Effect: 'Deny',
            Principal: '*',
            Resource: { Ref: topicId },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  it('outputs its ARN', () => {
    template.hasOutput('AlarmTopicArn', { Value: { Ref: onlyResourceId(template, 'AWS::SNS::Topic') } });
  });

  it('has no subscription without alarmEmail', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('emails the alarmEmail address', () => {
    const withEmail = synthTemplate({ alarmEmail: 'oncall@example.com' });

    withEmail.resourceCountIs('AWS::SNS::Subscription', 1);
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: onlyResourceId(withEmail, 'AWS::SNS::Topic') },
    });
  });

  it('rejects an invalid alarmEmail', () => {
    expect(() => buildStack({ alarmEmail: 'oncall' })).toThrow(
      '"alarmEmail" must be an email address such as "oncall@example.com", got "oncall".',
    );
  });
});

describe('alarms', () => {
  it('stack has 43 alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', EXPECTED_ALARM_COUNT);
  });

  it('every alarm notifies the topic on ALARM and OK', () => {
    const topicRef = { Ref: onlyResourceId(template, 'AWS::SNS::Topic') };

    for (const properties of allAlarms(template)) {
      expect(properties.AlarmActions, properties.AlarmName).toEqual([topicRef]);
      expect(properties.OKActions, properties.AlarmName).toEqual([topicRef]);
    }
  });

  it('every alarm treats missing data as not breaching', () => {
    for (const properties of allAlarms(template)) {
      expect(properties.TreatMissingData, properties.AlarmName).toBe('notBreaching');
    }
  });

  it('every evaluated period must breach', () => {
    for (const properties of allAlarms(template)) {
      expect(properties.DatapointsToAlarm, properties.AlarmName).toBe(properties.EvaluationPeriods);
    }
  });

  it.each([
    // name, namespace, metric, statistic, period (s), comparison, threshold, evaluation periods
    ['stream-consumer-errors', 'AWS/Lambda', 'Errors', 'Sum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['stream-consumer-throttles', 'AWS/Lambda', 'Throttles', 'Sum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['fanout-worker-errors', 'AWS/Lambda', 'Errors', 'Sum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['fanout-worker-throttles', 'AWS/Lambda', 'Throttles', 'Sum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['stream-iterator-age', 'AWS/Lambda', 'IteratorAge', 'Maximum', 60, 'GreaterThanThreshold', 60_000, 3],
    ['stream-dlq-depth', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['forum-stream-consumer-errors', 'AWS/Lambda', 'Errors', 'Sum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['forum-stream-consumer-throttles', 'AWS/Lambda', 'Throttles', 'Sum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['forum-stream-iterator-age', 'AWS/Lambda', 'IteratorAge', 'Maximum', 60, 'GreaterThanThreshold', 60_000, 3],
    ['forum-stream-dlq-depth', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['fanout-dlq-depth', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
    ['fanout-queue-age', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', 'Maximum', 60, 'GreaterThanThreshold', 60, 3],
  ])('%s watches %s %s', (name, namespace, metricName, statistic, period, comparison, threshold, evaluationPeriods) => {
    const properties = alarm(template, name);

    expect(properties.Namespace).toBe(namespace);
    expect(properties.MetricName).toBe(metricName);
    expect(properties.Statistic).toBe(statistic);
    expect(properties.Period).toBe(period);
    expect(properties.ComparisonOperator).toBe(comparison);
    expect(properties.Threshold).toBe(threshold);
    expect(properties.EvaluationPeriods).toBe(evaluationPeriods);
  });

  it.each([
    ['stream-consumer-errors', STREAM],
    ['stream-consumer-throttles', STREAM],
    ['stream-iterator-age', STREAM],
    ['forum-stream-consumer-errors', FORUM_STREAM],
    ['forum-stream-consumer-throttles', FORUM_STREAM],
    ['forum-stream-iterator-age', FORUM_STREAM],
    ['fanout-worker-errors', WORKER],
    ['fanout-worker-throttles', WORKER],
  ])('%s is on the %s', (name, description) => {
    const properties = alarm(template, name);

    expect(properties.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: functionIdByDescription(template, description) } },
    ]);
  });

  it.each([
    ['stream-dlq-depth', 'DeliveryStreamPostsDeadLetterQueue'],
    ['forum-stream-dlq-depth', 'DeliveryStreamForumsDeadLetterQueue'],
    ['fanout-dlq-depth', 'DeliveryFanoutDeadLetterQueue'],
    ['fanout-queue-age', 'DeliveryFanoutQueue'],
  ])('%s is on %s', (name, queuePrefix) => {
    const properties = alarm(template, name);

    expect(properties.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId(queuePrefix), 'QueueName'] } },
    ]);
  });

  it('http-5xx-rate is 5xx over Count above 1%', () => {
    const apiDimension = [{ Name: 'ApiId', Value: { Ref: onlyResourceId(template, 'AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' }) } }];

    const properties = alarm(template, 'http-5xx-rate');

    expect(queriesOf(properties)).toEqual({
      expr_1: { Expression: '100 * serverErrors / requests', Label: 'HTTP 5xx (%)' },
      serverErrors: { MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: apiDimension }, Period: 300, Stat: 'Sum' } },
      requests: { MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: apiDimension }, Period: 300, Stat: 'Sum' } },
    });
    expect(properties.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(properties.Threshold).toBe(1);
    expect(properties.EvaluationPeriods).toBe(1);
  });

  it('websocket-errors sums both error metrics', () => {
    const stageDimensions = [
      { Name: 'ApiId', Value: { Ref: onlyResourceId(template, 'AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' }) } },
      { Name: 'Stage', Value: 'live' },
    ];

    const properties = alarm(template, 'websocket-errors');

    expect(queriesOf(properties)).toEqual({
      expr_1: { Expression: 'FILL(integrationErrors, 0) + FILL(executionErrors, 0)', Label: 'WebSocket errors' },
      integrationErrors: {
        MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'IntegrationError', Dimensions: stageDimensions }, Period: 300, Stat: 'Sum' },
      },
      executionErrors: {
        MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'ExecutionError', Dimensions: stageDimensions }, Period: 300, Stat: 'Sum' },
      },
    });
    expect(properties.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    expect(properties.Threshold).toBe(5);
    expect(properties.EvaluationPeriods).toBe(1);
  });

  it('access-provider-failures sums the filter metric', () => {
    const properties = alarm(template, 'access-provider-failures');

    expect(properties.Namespace).toBe('CommLayer');
    expect(properties.MetricName).toBe('AccessProviderFailures');
    expect(properties.Dimensions).toBeUndefined();
    expect(properties.Statistic).toBe('Sum');
    expect(properties.Period).toBe(300);
    expect(properties.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    expect(properties.Threshold).toBe(5);
    expect(properties.EvaluationPeriods).toBe(1);
  });
});

describe('route function error rates', () => {
  it('one alarm per route', () => {
    const routeAlarms = allAlarms(template).filter((properties) => properties.AlarmName.endsWith('-error-rate'));

    expect(routeAlarms).toHaveLength(28);
    expect(ROUTES).toHaveLength(28);
  });

  it.each(ROUTES.map((route) => [route.handler, `${route.method} ${route.path}`]))(
    '%s error rate above 1%%',
    (handler, routeKey) => {
      const functionDimension = [{ Name: 'FunctionName', Value: { Ref: functionIdForRoute(template, routeKey) } }];

      const properties = alarm(template, `${handler}-error-rate`);

      expect(queriesOf(properties)).toEqual({
        expr_1: { Expression: '100 * errors / invocations', Label: `${handler} errors (%)` },
        errors: { MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: functionDimension }, Period: 300, Stat: 'Sum' } },
        invocations: {
          MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: functionDimension }, Period: 300, Stat: 'Sum' },
        },
      });
      expect(properties.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(properties.Threshold).toBe(1);
      expect(properties.EvaluationPeriods).toBe(1);
    },
  );
});

describe('access provider metric filters', () => {
  /**
   * Functions that call the access provider: four channel reader routes, the
   * attachment URL route, the seven forum routes that read or write as a
   * member, and four realtime functions.
   */
  const ACCESS_CHECKING_FUNCTIONS = [
    'GET /api/mobile/channels',
    'GET /api/mobile/channels/{channelId}',
    'GET /api/mobile/channels/{channelId}/posts',
    'GET /api/mobile/channels/{channelId}/posts/{postId}',
    'POST /api/mobile/channels/{channelId}/posts/{postId}/attachments/{attachmentId}/url',
    'GET /api/mobile/forums',
    'GET /api/mobile/forums/{forumId}/topics',
    'POST /api/mobile/forums/{forumId}/topics',
    'GET /api/mobile/topics/{topicId}',
    'GET /api/mobile/topics/{topicId}/messages',
    'POST /api/mobile/topics/{topicId}/messages',
    'PATCH /api/mobile/topics/{topicId}/messages/{messageId}',
    'WebSocket subscribe',
    STREAM,
    FORUM_STREAM,
    WORKER,
  ];

  it('one filter per access-checking function', () => {
    const expectedLogGroups = ACCESS_CHECKING_FUNCTIONS.map((description) =>
      logGroupOfFunction(functionIdByDescription(template, description)),
    );

    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')) as Array<{
      Properties: { LogGroupName: unknown };
    }>;
    const logGroups = filters.map((filter) => filter.Properties.LogGroupName);

    expect(sortedByJson(logGroups)).toEqual(sortedByJson(expectedLogGroups));
  });

  it('matches the provider failure message', () => {
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')) as Array<{
      Properties: Record<string, unknown>;
    }>;

    for (const { Properties: { LogGroupName: _logGroup, ...properties } } of filters) {
      expect(properties).toEqual({
        FilterPattern: '{ $.message = "Access provider request failed" }',
        MetricTransformations: [{ MetricNamespace: 'CommLayer', MetricName: 'AccessProviderFailures', MetricValue: '1' }],
      });
    }
  });
});

describe('dashboard', () => {
  it('is named after the stack', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'CommTest-operations' });
  });

  it('shows every alarm first', () => {
    const [first] = dashboardBody(template).widgets;

    expect(first?.type).toBe('alarm');
    expect(first?.properties.alarms).toHaveLength(EXPECTED_ALARM_COUNT);
  });

  it.each([
    ['HTTP API requests and 5xx', ['Count', '5xx']],
    ['HTTP API latency p99 (ms)', ['Latency']],
    ['Stream consumers and fan-out worker: errors and throttles', ['Errors', 'Throttles', 'Errors', 'Throttles', 'Errors', 'Throttles']],
    ['Stream consumers and fan-out worker: duration p99 (ms)', ['Duration', 'Duration', 'Duration']],
    ['Delivery lag', ['IteratorAge', 'IteratorAge', 'ApproximateAgeOfOldestMessage']],
    [
      'Dead-letter queues and access provider failures',
      ['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible', 'AccessProviderFailures'],
    ],
  ])('graph "%s" shows %j', (title, metricNames) => {
    const graph = dashboardBody(template).widgets.find((widget) => widget.properties.title === title);

    const metrics = graph?.properties.metrics as unknown[][];

    expect(metrics.map((metric) => metric[1])).toEqual(metricNames);
  });

  it.each([
    [
      'Stream consumers and fan-out worker: errors and throttles',
      [
        'Posts stream consumer errors',
        'Posts stream consumer throttles',
        'Forum stream consumer errors',
        'Forum stream consumer throttles',
        'Fan-out worker errors',
        'Fan-out worker throttles',
      ],
    ],
    [
      'Stream consumers and fan-out worker: duration p99 (ms)',
      ['Posts stream consumer p99', 'Forum stream consumer p99', 'Fan-out worker p99'],
    ],
    [
      'Delivery lag',
      ['Posts stream iterator age max (ms)', 'Forum stream iterator age max (ms)', 'Oldest fan-out message (s)'],
    ],
    [
      'Dead-letter queues and access provider failures',
      ['Posts stream DLQ messages', 'Forum stream DLQ messages', 'Fan-out DLQ messages', 'Access provider failures'],
    ],
  ])('graph "%s" labels %j', (title, labels) => {
    const graph = dashboardBody(template).widgets.find((widget) => widget.properties.title === title);

    const metrics = graph?.properties.metrics as unknown[][];

    expect(metrics.map((metric) => (metric.at(-1) as { label?: string }).label)).toEqual(labels);
  });

  it('has one alarm row and six graphs', () => {
    const types = dashboardBody(template).widgets.map((widget) => widget.type);

    expect(types).toEqual(['alarm', 'metric', 'metric', 'metric', 'metric', 'metric', 'metric']);
  });
});
