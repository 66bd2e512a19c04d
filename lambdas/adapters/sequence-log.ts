import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { publishedKeyLowerBound, publishedKeyUpperBound } from '../domain/posts.js';

/**
 * A table of entries numbered by a contiguous `seq` per partition, with a
 * strongly consistent local index on `<time>#<seq>`: channel posts and topic
 * messages. Feed paging reads either through these functions.
 */
export interface SequenceLog {
  readonly tableName: string;
  /** Partition key attribute: `channel_id` or `topic_id`. */
  readonly partitionKey: string;
  /** Local index whose sort key is `timeKey`. */
  readonly timeIndex: string;
  /** Sort key attribute of `timeIndex`, `<ISO time>#<seq padded>`. */
  readonly timeKey: string;
}

export async function getEntry<Entry>(db: DynamoDBDocumentClient, log: SequenceLog, partition: string, seq: number): Promise<Entry | undefined> {
  const { Item } = await db.send(
    new GetCommand({ TableName: log.tableName, Key: { [log.partitionKey]: partition, seq }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
  );
  return Item as Entry | undefined;
}

/**
 * Reads entries with `from <= seq <= to`, at most `limit`, in the given order.
 * Follows DynamoDB's 1 MB pagination until `limit` items or the range end.
 */
export async function queryEntryRange<Entry>(
  db: DynamoDBDocumentClient,
  log: SequenceLog,
  partition: string,
  range: { from: number; to: number },
  limit: number,
  ascending: boolean,
): Promise<Entry[]> {
  const entries: Entry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: log.tableName,
        KeyConditionExpression: '#partition = :partition AND seq BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#partition': log.partitionKey },
        ExpressionAttributeValues: { ':partition': partition, ':from': range.from, ':to': range.to },
        ScanIndexForward: ascending,
        Limit: limit - entries.length,
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
        ExclusiveStartKey: startKey,
      }),
    );
    entries.push(...((page.Items ?? []) as Entry[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey && entries.length < limit);
  return entries;
}

/** Lowest seq stamped at or after `instant`, or undefined when none is. One strongly consistent index read. */
export async function firstSeqAtOrAfter(db: DynamoDBDocumentClient, log: SequenceLog, partition: string, instant: number): Promise<number | undefined> {
  return edgeSeq(db, log, partition, '>=', publishedKeyLowerBound(instant), true);
}

/** Highest seq stamped at or before `instant`, or undefined when none is. */
export async function lastSeqAtOrBefore(db: DynamoDBDocumentClient, log: SequenceLog, partition: string, instant: number): Promise<number | undefined> {
  return edgeSeq(db, log, partition, '<=', publishedKeyUpperBound(instant), false);
}

async function edgeSeq(
  db: DynamoDBDocumentClient,
  log: SequenceLog,
  partition: string,
  comparison: '>=' | '<=',
  bound: string,
  ascending: boolean,
): Promise<number | undefined> {
  const { Items } = await db.send(
    new QueryCommand({
      TableName: log.tableName,
      IndexName: log.timeIndex,
      KeyConditionExpression: `#partition = :partition AND #time_key ${comparison} :bound`,
      ExpressionAttributeNames: { '#partition': log.partitionKey, '#time_key': log.timeKey },
      ExpressionAttributeValues: { ':partition': partition, ':bound': bound },
      ScanIndexForward: ascending,
      Limit: 1,
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  return Items?.[0]?.seq as number | undefined;
}
