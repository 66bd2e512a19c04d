import type { _Record as StreamsApiRecord, AttributeValue as StreamsAttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord } from 'aws-lambda';

/**
 * The eventName DynamoDB Local gives a TTL deletion. It is the Java SDK's
 * placeholder for an unknown enum value, where AWS sends REMOVE.
 */
const DYNAMODB_LOCAL_TTL_EVENT_NAME = 'UNKNOWN_TO_SDK_VERSION';

/** The `userIdentity` AWS puts on a stream record of a TTL deletion. */
const TTL_USER_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/**
 * Converts a record from the Streams API's GetRecords into the record a
 * Lambda event source mapping delivers: the same fields plus
 * `eventSourceARN`, `ApproximateCreationDateTime` in epoch seconds, binary
 * values as base64 strings (Lambda events are JSON), and `userIdentity` with
 * lower-case keys. A DynamoDB Local TTL deletion becomes REMOVE with the
 * service identity, as AWS delivers it.
 */
export function toLambdaRecord(record: StreamsApiRecord, streamArn: string): DynamoDBRecord {
  const data = record.dynamodb ?? {};
  const isLocalTtlDeletion = (record.eventName as string | undefined) === DYNAMODB_LOCAL_TTL_EVENT_NAME && data.OldImage !== undefined && data.NewImage === undefined;
  const identity = record.userIdentity;

  return {
    eventID: record.eventID,
    eventName: isLocalTtlDeletion ? 'REMOVE' : record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    dynamodb: {
      ...(data.ApproximateCreationDateTime && { ApproximateCreationDateTime: Math.floor(data.ApproximateCreationDateTime.getTime() / 1000) }),
      ...(data.Keys && { Keys: toLambdaItem(data.Keys) }),
      ...(data.NewImage && { NewImage: toLambdaItem(data.NewImage) }),
      ...(data.OldImage && { OldImage: toLambdaItem(data.OldImage) }),
      SequenceNumber: data.SequenceNumber,
      SizeBytes: data.SizeBytes,
      StreamViewType: data.StreamViewType,
    },
    eventSourceARN: streamArn,
    ...(identity && { userIdentity: { type: identity.Type, principalId: identity.PrincipalId } }),
    ...(isLocalTtlDeletion && { userIdentity: TTL_USER_IDENTITY }),
  };
}

function toLambdaItem(item: Record<string, StreamsAttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, toLambdaValue(value)]));
}

function toLambdaValue(value: StreamsAttributeValue): LambdaAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (value.M !== undefined) return { M: toLambdaItem(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  throw new Error(`Unsupported attribute value type ${Object.keys(value).join(', ')} in a stream record`);
}
