import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, DynamoDBBatchResponse } from 'aws-lambda';
import type { Logger } from '../logger.js';
import { errorFields } from '../logger.js';

/** A stream record with its images decoded. */
export interface DecodedRecord<Image> {
  readonly sequenceNumber: string;
  readonly partition: string;
  readonly oldImage?: Image;
  readonly newImage?: Image;
}

/**
 * Processes a stream batch with partial-failure reporting. Records are
 * grouped by `partitionOf` (the channel), processed in order within a group
 * and concurrently across groups. A failed record stops its group, because
 * later changes of the same channel must not overtake it, and its sequence
 * number is reported. Lambda then retries from the lowest failed record, so
 * the records before it are never redelivered.
 */
export async function processStreamBatch<Image>(
  event: DynamoDBStreamEvent,
  partitionOf: (image: Image) => string,
  handle: (record: DecodedRecord<Image>) => Promise<void>,
  logger: Logger,
): Promise<DynamoDBBatchResponse> {
  const groups = new Map<string, DecodedRecord<Image>[]>();
  for (const record of event.Records) {
    const decoded = decode<Image>(record);
    if (!decoded) continue;
    const partition = partitionOf((decoded.newImage ?? decoded.oldImage)!);
    const group = groups.get(partition) ?? [];
    group.push({ ...decoded, partition });
    groups.set(partition, group);
  }

  const failed: string[] = [];
  await Promise.all(
    [...groups.values()].map(async (records) => {
      for (const record of records) {
        try {
          await handle(record);
        } catch (error) {
          logger.warn('Stream record failed; it will be retried', { sequenceNumber: record.sequenceNumber, partition: record.partition, ...errorFields(error) });
          failed.push(record.sequenceNumber);
          return;
        }
      }
    }),
  );

  const lowest = failed.sort(compareSequenceNumbers)[0];
  return { batchItemFailures: lowest === undefined ? [] : [{ itemIdentifier: lowest }] };
}

function decode<Image>(record: DynamoDBRecord): Omit<DecodedRecord<Image>, 'partition'> | undefined {
  const data = record.dynamodb;
  if (!data?.SequenceNumber || (!data.NewImage && !data.OldImage)) return undefined;
  return {
    sequenceNumber: data.SequenceNumber,
    ...(data.OldImage && { oldImage: unmarshall(data.OldImage as Record<string, AttributeValue>) as Image }),
    ...(data.NewImage && { newImage: unmarshall(data.NewImage as Record<string, AttributeValue>) as Image }),
  };
}

/** Stream sequence numbers are decimal strings of varying length; compare them as numbers. */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
