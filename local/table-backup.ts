/**
 * Export, wipe and restore of the layer's tables on DynamoDB Local: the
 * local stand-in for a point-in-time recovery or an export to S3, used by
 * the restore drill. Items stay in AttributeValue form end to end, so a
 * restored item can be compared with its export exactly, number strings
 * included.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  ScanCommand,
  UpdateTableCommand,
  waitUntilTableNotExists,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { TABLES, type TableId } from '../lib/table-definitions.js';
import type { TableNames } from '../lambdas/config.js';
import { createTables } from './tables.js';

/** One stored item in the low-level AttributeValue form that Scan returns. */
export type StoredItem = Record<string, AttributeValue>;

/** Every table's items, by table id. */
export type TableSnapshot = Record<TableId, StoredItem[]>;

/** The content of one export file, `<table id>.json`. */
export interface TableExportFile {
  readonly table: TableId;
  readonly tableName: string;
  readonly exportedAt: string;
  readonly items: StoredItem[];
}

export interface RestoreOptions {
  /** Attempts per batch, counting the first; unprocessed items left after the last one fail the restore. @default 8 */
  readonly maxAttempts?: number;
  /** Wait before the first retry of unprocessed items, doubling for each further retry up to 2 s. @default 50 */
  readonly retryBaseDelayMs?: number;
}

export interface RestoreResult {
  readonly written: number;
  /** BatchWriteItem calls repeated for unprocessed items. */
  readonly retries: number;
}

/** Items per Scan page; small, so that even a drill-sized table takes several pages. */
export const EXPORT_PAGE_SIZE = 50;
/** BatchWriteItem accepts at most 25 put or delete requests per call. */
const BATCH_WRITE_LIMIT = 25;
const DEFAULT_MAX_ATTEMPTS = 8;
const DEFAULT_RETRY_BASE_DELAY_MS = 50;
const MAX_RETRY_DELAY_MS = 2000;
/** DynamoDB Local deletes a table at once; AWS takes seconds, so this only catches a stuck delete. */
const DELETE_WAIT_SECONDS = 60;

/**
 * Reads every item of a table with a paginated Scan. The pages are read
 * strongly consistent, because Scan is eventually consistent by default and
 * an export taken right after a write must contain it.
 */
export async function scanTable(client: DynamoDBClient, tableName: string, pageSize = EXPORT_PAGE_SIZE): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  let startKey: StoredItem | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, Limit: pageSize, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** Scans every table without writing anything. */
export async function snapshotTables(client: DynamoDBClient, names: TableNames, pageSize = EXPORT_PAGE_SIZE): Promise<TableSnapshot> {
  const entries = await Promise.all(TABLES.map(async (table) => [table.id, await scanTable(client, names[table.id], pageSize)] as const));
  return Object.fromEntries(entries) as TableSnapshot;
}

/**
 * Scans every table and writes one JSON file per table into `directory`.
 * Returns the snapshot it wrote, so a caller can compare a restore with
 * what was read and not with files that may have changed since.
 *
 * NOTE: binary (B, BS) attributes would not survive JSON. No table of the
 * layer stores them today.
 */
export async function exportTables(client: DynamoDBClient, names: TableNames, directory: string, pageSize = EXPORT_PAGE_SIZE): Promise<TableSnapshot> {
  await mkdir(directory, { recursive: true });
  const snapshot = await snapshotTables(client, names, pageSize);
  const exportedAt = new Date().toISOString();

  await Promise.all(
    TABLES.map((table) => {
      const file: TableExportFile = { table: table.id, tableName: names[table.id], exportedAt, items: snapshot[table.id] };
      return writeFile(exportFilePath(directory, table.id), `${JSON.stringify(file, null, 1)}\n`);
    }),
  );
  return snapshot;
}

/** Reads the files exportTables wrote; a missing file or a file for another table throws. */
export async function readExport(directory: string): Promise<TableSnapshot> {
  const entries = await Promise.all(
    TABLES.map(async (table) => {
      const path = exportFilePath(directory, table.id);
      const file = JSON.parse(await readFile(path, 'utf8')) as TableExportFile;
      if (file.table !== table.id || !Array.isArray(file.items)) {
        throw new Error(`Invalid export file ${path}: expected table "${table.id}" with an items array, got table "${String(file.table)}". Export the tables again.`);
      }
      return [table.id, file.items] as const;
    }),
  );
  return Object.fromEntries(entries) as TableSnapshot;
}

export function exportFilePath(directory: string, tableId: TableId): string {
  return join(directory, `${tableId}.json`);
}

/** Deletes every table and creates it again, empty, from the shared definitions. */
export async function wipeTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    TABLES.map(async (table) => {
      const tableName = names[table.id];
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      await waitUntilTableNotExists({ client, maxWaitTime: DELETE_WAIT_SECONDS }, { TableName: tableName });
    }),
  );
  await createTables(client, names);
}

/** Writes every table's items from a snapshot, tables in parallel. */
export async function restoreTables(client: DynamoDBClient, names: TableNames, snapshot: TableSnapshot, options: RestoreOptions = {}): Promise<RestoreResult> {
  const results = await Promise.all(TABLES.map((table) => restoreItems(client, names[table.id], snapshot[table.id], options)));
  return {
    written: results.reduce((sum, result) => sum + result.written, 0),
    retries: results.reduce((sum, result) => sum + result.retries, 0),
  };
}

/**
 * Writes items with BatchWriteItem, 25 at a time, and sends unprocessed
 * items again with exponential backoff, which the BatchWriteItem
 * documentation recommends for throttled batches.
 *
 * @throws Error naming the table and the count of items still unprocessed after maxAttempts.
 */
export async function restoreItems(client: DynamoDBClient, tableName: string, items: readonly StoredItem[], options: RestoreOptions = {}): Promise<RestoreResult> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const baseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
  let retries = 0;

  for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) {
    let pending: WriteRequest[] = items.slice(start, start + BATCH_WRITE_LIMIT).map((item) => ({ PutRequest: { Item: item } }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > maxAttempts) {
        const left = `${pending.length} ${pending.length === 1 ? 'item' : 'items'}`;
        throw new Error(`Restoring table ${tableName} failed: BatchWriteItem left ${left} unprocessed after ${maxAttempts} attempts. Run the restore again, because putting an already restored item again does no harm.`);
      }
      if (attempt > 1) {
        retries += 1;
        await sleep(Math.min(baseDelayMs * 2 ** (attempt - 2), MAX_RETRY_DELAY_MS));
      }
      const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = UnprocessedItems?.[tableName] ?? [];
    }
  }
  return { written: items.length, retries };
}

/**
 * Turns each table's stream off and on again, which gives the table a new
 * stream without the restore's writes. That is the state a PITR restore
 * leaves after its stream is re-enabled, so the stream functions never see
 * restored items as new changes.
 */
export async function restartStreams(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    TABLES.filter((table) => table.stream !== undefined).map(async (table) => {
      const tableName = names[table.id];
      await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }));
      await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } }));
    }),
  );
}
