import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoUsage {
  /** Requests sent while `action` ran. */
  requests: number;
  /** Capacity units the responses reported (responses without ConsumedCapacity add 0). */
  readUnits: number;
}

/** Runs `action` and counts the DynamoDB requests the client sent meanwhile, with the capacity they reported. */
export async function measureDynamoUsage<Result>(db: DynamoDBDocumentClient, action: () => Promise<Result>): Promise<{ result: Result; usage: DynamoUsage }> {
  const usage: DynamoUsage = { requests: 0, readUnits: 0 };
  const name = 'testUsageCounter';
  db.middlewareStack.add(
    (next) => async (args) => {
      const response = await next(args);
      const output = response.output as { ConsumedCapacity?: { CapacityUnits?: number } };
      usage.requests += 1;
      usage.readUnits += output.ConsumedCapacity?.CapacityUnits ?? 0;
      return response;
    },
    { step: 'initialize', name },
  );
  try {
    return { result: await action(), usage };
  } finally {
    db.middlewareStack.remove(name);
  }
}
