import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionIdByDescription, onlyResourceId, synthTemplate } from './synth.js';

const template = synthTemplate();

const STREAM = 'Posts table stream consumer';
const WORKER = 'Fan-out queue consumer';

/** SQS's maximum retention, 14 days in seconds. */
const FOURTEEN_DAYS_SECONDS = 1_209_600;

interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

function resource(source: Template, logicalId: string): TemplateResource {
  return source.toJSON().Resources[logicalId] as TemplateResource;
}

function queueId(source: Template, prefix: string): string {
  const ids = Object.keys(source.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

function tableId(source: Template, id: string): string {
  return onlyResourceId(source, 'AWS::DynamoDB::GlobalTable', { TableName: `CommTest-${id}` });
}

function mappingOf(source: Template, functionDescription: string): Record<string, unknown> {
  const functionId = functionIdByDescription(source, functionDescription);
  const mappingId = onlyResourceId(source, 'AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: functionId } });
  return resource(source, mappingId).Properties;
}

describe('posts stream consumer', () => {
  it('maps the stream with retries and DLQ', () => {
    const functionId = functionIdByDescription(template, STREAM);
    const deadLetterQueueId = queueId(template, 'DeliveryStreamPostsDeadLetterQueue');

    const mapping = mappingOf(template, STREAM);

    expect(mapping).toEqual({
      FunctionName: { Ref: functionId },
      EventSourceArn: { 'Fn::GetAtt': [tableId(template, 'posts'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT","MODIFY"]}' }] },
    });
  });

  it('filter passes INSERT and MODIFY only', () => {
    const mapping = mappingOf(template, STREAM) as { FilterCriteria: { Filters: Array<{ Pattern: string }> } };

    const patterns = mapping.FilterCriteria.Filters.map((filter) => JSON.parse(filter.Pattern) as { eventName: string[] });

    expect(patterns).toEqual([{ eventName: ['INSERT', 'MODIFY'] }]);
  });

  it('dead-letter queue is encrypted and keeps 14 days', () => {
    const deadLetterQueue = resource(template, queueId(template, 'DeliveryStreamPostsDeadLetterQueue'));

    expect(deadLetterQueue.Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: FOURTEEN_DAYS_SECONDS,
    });
  });

  it('four event source mappings exist', () => {
    // Posts stream, topics and messages streams (forums.test.ts), fan-out queue.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 4);
  });
});

describe('fan-out queue', () => {
  it('is encrypted and redrives after 3 receives', () => {
    const deadLetterQueueId = queueId(template, 'DeliveryFanoutDeadLetterQueue');

    const queue = resource(template, queueId(template, 'DeliveryFanoutQueue'));

    expect(queue.Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] }, maxReceiveCount: 3 },
    });
  });

  it('visibility timeout is 6 times the worker timeout', () => {
    const worker = resource(template, functionIdByDescription(template, WORKER));

    const queue = resource(template, queueId(template, 'DeliveryFanoutQueue'));

    expect(worker.Properties.Timeout).toBe(30);
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (worker.Properties.Timeout as number));
  });

  it('DLQ is encrypted and keeps 14 days', () => {
    const deadLetterQueue = resource(template, queueId(template, 'DeliveryFanoutDeadLetterQueue'));

    expect(deadLetterQueue.Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: FOURTEEN_DAYS_SECONDS,
    });
  });

  it('worker consumes 10 messages and reports failures', () => {
    const functionId = functionIdByDescription(template, WORKER);

    const mapping = mappingOf(template, WORKER);

    expect(mapping).toEqual({
      FunctionName: { Ref: functionId },
      EventSourceArn: { 'Fn::GetAtt': [queueId(template, 'DeliveryFanoutQueue'), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it.each([
    'DeliveryStreamPostsDeadLetterQueue',
    'DeliveryStreamForumsDeadLetterQueue',
    'DeliveryFanoutQueue',
    'DeliveryFanoutDeadLetterQueue',
  ])(
    '%s rejects requests without TLS',
    (prefix) => {
      const logicalId = queueId(template, prefix);

      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId }],
        PolicyDocument: {
          Statement: [
            {
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Resource: { 'Fn::GetAtt': [logicalId, 'Arn'] },
            },
          ],
        },
      });
    },
  );

  it('the stack has exactly four queues', () => {
    template.resourceCountIs('AWS::SQS::Queue', 4);
  });
});

describe('integration event bus', () => {
  it('is named after the stack', () => {
    const busId = onlyResourceId(template, 'AWS::Events::EventBus');

    expect(resource(template, busId).Properties).toEqual({
      Name: 'CommTest-integration-events',
      Description:
        'Integration events of the communication layer: post published, updated and deleted; message created, updated and deleted; topic updated.',
    });
  });

  it('outputs its name and ARN', () => {
    const busId = onlyResourceId(template, 'AWS::Events::EventBus');

    template.hasOutput('IntegrationEventBusName', { Value: { Ref: busId } });
    template.hasOutput('IntegrationEventBusArn', { Value: { 'Fn::GetAtt': [busId, 'Arn'] } });
  });
});
