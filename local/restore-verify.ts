/**
 * Checks of the restore drill that need no running stack: a restored table
 * against its export, and each channel's posts against its counter.
 * Each returns failure messages, empty when the check passed.
 */
import { isDeepStrictEqual } from 'node:util';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLES, type TableDefinition } from '../lib/table-definitions.js';
import type { StoredItem, TableSnapshot } from './table-backup.js';

/** Mismatches listed per table and kind before the rest are only counted, so one lost table does not flood the report. */
const MAX_LISTED = 5;

/**
 * Compares every table item by item, keyed by primary key. An item counts
 * as equal only if all attributes match in AttributeValue form, so a number
 * written back as "1.0" instead of "1" is a difference.
 */
export function compareSnapshots(expected: TableSnapshot, actual: TableSnapshot, context: string): string[] {
  return TABLES.flatMap((table) => compareTable(table, expected[table.id], actual[table.id], context));
}

function compareTable(table: TableDefinition, expected: readonly StoredItem[], actual: readonly StoredItem[], context: string): string[] {
  const actualByKey = new Map(actual.map((item) => [primaryKeyOf(table, item), item]));
  const expectedKeys = new Set<string>();
  const missing: string[] = [];
  const changed: string[] = [];

  for (const item of expected) {
    const key = primaryKeyOf(table, item);
    expectedKeys.add(key);
    const restored = actualByKey.get(key);
    if (restored === undefined) missing.push(key);
    else if (!isDeepStrictEqual(restored, item)) changed.push(key);
  }
  const extra = [...actualByKey.keys()].filter((key) => !expectedKeys.has(key));

  return [
    ...listed(missing, (keys) => `${table.id}: ${context}, ${keys} missing`),
    ...listed(changed, (keys) => `${table.id}: ${context}, ${keys} not equal to the export`),
    ...listed(extra, (keys) => `${table.id}: ${context}, ${keys} not in the export`),
  ];
}

/**
 * Checks that each channel's posts have exactly the seqs 1..last_seq: none
 * missing, none above the counter, and none in a channel that does not exist.
 */
export function checkSequences(channelItems: readonly StoredItem[], postItems: readonly StoredItem[]): string[] {
  return checkCounterSequences(channelItems, postItems, { partitionKey: 'channel_id', owner: 'channel', entry: 'post' });
}

/** Checks that every topic's messages have the seqs 1 to `last_seq` with no gap, as {@link checkSequences} does for channels. */
export function checkMessageSequences(topicItems: readonly StoredItem[], messageItems: readonly StoredItem[]): string[] {
  return checkCounterSequences(topicItems, messageItems, { partitionKey: 'topic_id', owner: 'topic', entry: 'message' });
}

interface SequenceNames {
  /** Attribute shared by a counter item and its entries. */
  readonly partitionKey: 'channel_id' | 'topic_id';
  /** Words for the messages: the counter's owner and one entry. */
  readonly owner: string;
  readonly entry: string;
}

function checkCounterSequences(counterItems: readonly StoredItem[], entryItems: readonly StoredItem[], names: SequenceNames): string[] {
  const { partitionKey, owner, entry } = names;
  const seqsByOwner = new Map<string, number[]>();
  for (const item of entryItems) {
    const record = unmarshall(item) as Record<string, unknown>;
    const id = record[partitionKey] as string;
    seqsByOwner.set(id, [...(seqsByOwner.get(id) ?? []), record.seq as number]);
  }

  const failures: string[] = [];
  for (const item of counterItems) {
    const record = unmarshall(item) as Record<string, unknown>;
    const id = record[partitionKey] as string;
    const lastSeq = record.last_seq as number;
    const present = new Set(seqsByOwner.get(id) ?? []);
    seqsByOwner.delete(id);

    const missing = Array.from({ length: lastSeq }, (_, index) => index + 1).filter((seq) => !present.has(seq));
    const aboveCounter = [...present].filter((seq) => seq > lastSeq || seq < 1).sort((a, b) => a - b);
    if (missing.length > 0) failures.push(`${owner} ${id}: seq ${formatRanges(missing)} missing, so 1..${lastSeq} has a gap`);
    if (aboveCounter.length > 0) failures.push(`${owner} ${id}: ${entry} at seq ${formatRanges(aboveCounter)} outside 1..last_seq (${lastSeq})`);
  }
  for (const [id, seqs] of seqsByOwner) {
    const sorted = [...seqs].sort((a, b) => a - b);
    failures.push(`${owner} ${id}: no ${owner} item, so the ${entry}s at seq ${formatRanges(sorted)} have no last_seq to check against`);
  }
  return failures;
}

/** Writes sorted integers as ranges, e.g. `3, 7-9`. */
export function formatRanges(sorted: readonly number[]): string {
  const ranges: string[] = [];
  let start = sorted[0];
  for (let index = 0; start !== undefined; index += 1) {
    const current = sorted[index]!;
    const next = sorted[index + 1];
    if (next === current + 1) continue;
    ranges.push(start === current ? `${start}` : `${start}-${current}`);
    start = next;
  }
  return ranges.join(', ');
}

/** Formats the primary key as `{"name":value,...}`, which names the item in messages. */
function primaryKeyOf(table: TableDefinition, item: StoredItem): string {
  const names = [table.partitionKey.name, ...(table.sortKey ? [table.sortKey.name] : [])];
  const key = unmarshall(Object.fromEntries(names.map((name) => [name, item[name] ?? { NULL: true }])));
  return JSON.stringify(key);
}

function listed(keys: readonly string[], describe: (keys: string) => string): string[] {
  if (keys.length === 0) return [];
  const listedKeys = keys.slice(0, MAX_LISTED).join(', ');
  const more = keys.length > MAX_LISTED ? ` and ${keys.length - MAX_LISTED} more` : '';
  const noun = keys.length === 1 ? 'item' : 'items';
  return [describe(`${noun} ${listedKeys}${more}`)];
}
