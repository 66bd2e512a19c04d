import { DynamoDBClient, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamodb-local.js';

/** One DynamoDB request seen by the recorder. */
export interface RecordedRequest {
  /** DynamoDB operation, for example `QueryCommand` or `GetItemCommand`. */
  readonly command: string;
  /** Capacity units from the response's ConsumedCapacity; undefined when the response carried none. */
  readonly capacityUnits: number | undefined;
}

export interface BenchClient {
  /** Document client with the same marshalling options as lambdas/adapters/dynamodb.ts. */
  readonly db: DynamoDBDocumentClient;
  destroy(): void;
}

/**
 * Creates a document client for DynamoDB Local. The underlying client is
 * kept so that `destroy` closes its sockets; the document client's own
 * `destroy` does nothing.
 */
export function createBenchClient(endpoint: string): BenchClient {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { db, destroy: () => client.destroy() };
}

/**
 * Records every request a document client sends, failed ones included,
 * with the capacity units its response reports. The document client shares its middleware stack
 * with the underlying client, so the context names the low-level operation.
 */
export class RequestRecorder {
  private requests: RecordedRequest[] = [];

  attach(db: DynamoDBDocumentClient): void {
    db.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        try {
          const result = await next(args);
          const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
          this.requests.push({ command, capacityUnits: totalCapacityUnits(output.ConsumedCapacity) });
          return result;
        } catch (error) {
          // A cancelled transaction is a request too: counting it shows the retries that lost races cost.
          this.requests.push({ command, capacityUnits: undefined });
          throw error;
        }
      },
      { step: 'initialize', name: 'benchRequestRecorder' },
    );
  }

  /** Returns the requests recorded since the last call and starts a new list. */
  take(): RecordedRequest[] {
    const recorded = this.requests;
    this.requests = [];
    return recorded;
  }
}

/** Sums CapacityUnits over one ConsumedCapacity or the per-table list that batch and transaction calls return. */
function totalCapacityUnits(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): number | undefined {
  if (consumed === undefined) return undefined;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}
