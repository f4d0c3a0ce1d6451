/**
 * One table's storage: items by primary key, each partition's entries kept sorted (binary search, no re-sorting
 * on reads), and every global secondary index maintained on each write the way DynamoDB maintains it: sparse (an
 * item is in the index only when it carries the index's key attributes) and ordered by the index sort key, then
 * by the table's keys (so equal index sort keys still page deterministically).
 */
import type { AttributeMap, AttributeValue } from './dynamodb-values';
import { compareBytes, compareScalars, encodeScalar } from './dynamodb-values';

export type KeyType = 'S' | 'N' | 'B';

export interface IndexSchema {
  name: string;
  partitionKey: string;
  sortKey?: string;
  projection: 'KEYS_ONLY' | 'ALL';
}

export interface TableSchema {
  name: string;
  partitionKey: string;
  sortKey?: string;
  indexes: IndexSchema[];
  /**
   * Declared types of the key attributes (table and indexes), as in the table's AttributeDefinitions. Without a
   * declaration any scalar type is accepted; with one, a mismatch is a ValidationException, as in DynamoDB.
   */
  attributeTypes?: Record<string, KeyType>;
}

/** A position in a sorted partition: the primary key of the item and its sort tuple. */
export interface Entry {
  readonly key: string;
  readonly tuple: readonly AttributeValue[];
}

export type SortCondition =
  | { op: '=' | '<' | '<=' | '>' | '>=' | 'begins_with'; value: AttributeValue }
  | { op: 'between'; value: AttributeValue; high: AttributeValue };

/** A slice [lo, hi) of a sorted array, read forwards or backwards. */
export interface Range {
  readonly entries: readonly Entry[];
  readonly lo: number;
  readonly hi: number;
}

export function compareTuples(a: readonly AttributeValue[], b: readonly AttributeValue[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const order = compareScalars(a[i]!, b[i]!) ?? 0;
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/** First index whose entry does not satisfy `before` (which must be true for a prefix of the array, then false). */
function bound(entries: readonly Entry[], before: (e: Entry) => boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(entries[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function startsWith(v: AttributeValue, prefix: AttributeValue): boolean {
  if (v.S !== undefined && prefix.S !== undefined) return v.S.startsWith(prefix.S);
  if (v.B !== undefined && prefix.B !== undefined)
    return v.B.length >= prefix.B.length && compareBytes(v.B.subarray(0, prefix.B.length), prefix.B) === 0;
  return false;
}

function insert(entries: Entry[], entry: Entry): void {
  entries.splice(
    bound(entries, (e) => compareTuples(e.tuple, entry.tuple) < 0),
    0,
    entry,
  );
}

function removeEntry(entries: Entry[], entry: Entry): void {
  const i = bound(entries, (e) => compareTuples(e.tuple, entry.tuple) < 0);
  if (entries[i]?.key === entry.key) entries.splice(i, 1);
}

export class Index {
  readonly partitions = new Map<string, Entry[]>();

  constructor(
    readonly schema: IndexSchema,
    private readonly table: TableSchema,
  ) {}

  /** The item's place in this index, or undefined when it lacks an index key (sparse index). */
  entryOf(key: string, item: AttributeMap | undefined): { partition: string; entry: Entry } | undefined {
    if (!item) return undefined;
    const pk = item[this.schema.partitionKey];
    const sk = this.schema.sortKey === undefined ? undefined : item[this.schema.sortKey];
    if (!pk || (this.schema.sortKey !== undefined && !sk)) return undefined;
    const tuple = [
      ...(sk ? [sk] : []),
      item[this.table.partitionKey]!,
      ...(this.table.sortKey ? [item[this.table.sortKey]!] : []),
    ];
    return { partition: encodeScalar(pk), entry: { key, tuple } };
  }

  /** The attributes a KEYS_ONLY index holds: its own keys and the table's. */
  keyNames(): readonly string[] {
    this.names ??= [
      ...new Set([
        this.table.partitionKey,
        ...(this.table.sortKey ? [this.table.sortKey] : []),
        this.schema.partitionKey,
        ...(this.schema.sortKey ? [this.schema.sortKey] : []),
      ]),
    ];
    return this.names;
  }

  private names: string[] | undefined;
}

export class Table {
  readonly items = new Map<string, AttributeMap>();
  readonly indexes = new Map<string, Index>();
  /** Base-table partitions: entries sorted by the sort key (a single entry when the table has none). */
  private readonly partitions = new Map<string, Entry[]>();
  /** All entries in (partition key, sort key) order, rebuilt lazily after an insert or delete: Scan and snapshots. */
  private ordered: Entry[] | undefined;

  constructor(readonly schema: TableSchema) {
    this.keyNames = schema.sortKey ? [schema.partitionKey, schema.sortKey] : [schema.partitionKey];
    for (const index of schema.indexes) this.indexes.set(index.name, new Index(index, schema));
  }

  /** The table's key attribute names, partition key first. */
  readonly keyNames: readonly string[];

  /** Unique string of an item's primary key (the key attributes must be present and valid). */
  encodeKey(key: AttributeMap): string {
    const pk = encodeScalar(key[this.schema.partitionKey]!);
    if (!this.schema.sortKey) return pk;
    return `${pk.length}:${pk}${encodeScalar(key[this.schema.sortKey]!)}`;
  }

  /** Just the primary-key attributes of an item. */
  keyOf(item: AttributeMap): AttributeMap {
    const key: AttributeMap = { [this.schema.partitionKey]: item[this.schema.partitionKey]! };
    if (this.schema.sortKey) key[this.schema.sortKey] = item[this.schema.sortKey]!;
    return key;
  }

  private baseEntry(key: string, item: AttributeMap): { partition: string; entry: Entry } {
    return {
      partition: encodeScalar(item[this.schema.partitionKey]!),
      entry: { key, tuple: this.schema.sortKey ? [item[this.schema.sortKey]!] : [] },
    };
  }

  /** Stores (or, with `after` undefined, deletes) one item and keeps the partitions and indexes in step. */
  write(key: string, before: AttributeMap | undefined, after: AttributeMap | undefined): void {
    if (after) this.items.set(key, after);
    else this.items.delete(key);
    if (!before !== !after) {
      const { partition, entry } = this.baseEntry(key, (after ?? before)!);
      if (after) insertInto(this.partitions, partition, entry);
      else removeFrom(this.partitions, partition, entry);
      this.ordered = undefined;
    }
    for (const index of this.indexes.values()) {
      const old = index.entryOf(key, before);
      const now = index.entryOf(key, after);
      if (old && now && old.partition === now.partition && compareTuples(old.entry.tuple, now.entry.tuple) === 0)
        continue;
      if (old) removeFrom(index.partitions, old.partition, old.entry);
      if (now) insertInto(index.partitions, now.partition, now.entry);
    }
  }

  /** The entries of one partition (of the table or of an index) matching a key condition, after `start`. */
  range(
    index: Index | undefined,
    partitionKey: AttributeValue,
    condition: SortCondition | undefined,
    start: readonly AttributeValue[] | undefined,
    forward: boolean,
  ): Range {
    const entries = (index ? index.partitions : this.partitions).get(encodeScalar(partitionKey)) ?? [];
    let lo = 0;
    let hi = entries.length;
    const sk = (e: Entry): AttributeValue => e.tuple[0]!;
    const cmp = (e: Entry, v: AttributeValue): number => compareScalars(sk(e), v) ?? 0;
    if (condition) {
      const v = condition.value;
      switch (condition.op) {
        case '=':
          lo = bound(entries, (e) => cmp(e, v) < 0);
          hi = bound(entries, (e) => cmp(e, v) <= 0);
          break;
        case '<':
          hi = bound(entries, (e) => cmp(e, v) < 0);
          break;
        case '<=':
          hi = bound(entries, (e) => cmp(e, v) <= 0);
          break;
        case '>':
          lo = bound(entries, (e) => cmp(e, v) <= 0);
          break;
        case '>=':
          lo = bound(entries, (e) => cmp(e, v) < 0);
          break;
        case 'between':
          lo = bound(entries, (e) => cmp(e, v) < 0);
          hi = Math.max(
            lo,
            bound(entries, (e) => cmp(e, condition.high) <= 0),
          );
          break;
        case 'begins_with':
          // Values with a prefix sit together right after the values below the prefix.
          lo = bound(entries, (e) => cmp(e, v) < 0);
          hi = bound(entries, (e) => cmp(e, v) < 0 || startsWith(sk(e), v));
          break;
      }
    }
    if (start) {
      if (forward)
        lo = Math.max(
          lo,
          bound(entries, (e) => compareTuples(e.tuple, start) <= 0),
        );
      else
        hi = Math.min(
          hi,
          bound(entries, (e) => compareTuples(e.tuple, start) < 0),
        );
    }
    return { entries, lo, hi: Math.max(lo, hi) };
  }

  /** Every entry of the table (or index) in key order, after `start`: what Scan reads. */
  scanRange(index: Index | undefined, start: readonly AttributeValue[] | undefined): Range {
    const entries = this.orderedEntries(index);
    const lo = start ? bound(entries, (e) => compareTuples(e.tuple, start) <= 0) : 0;
    return { entries, lo, hi: entries.length };
  }

  /** Scan tuples: (pk, sk) for the table; (index pk, index sk, pk, sk) for an index. */
  private orderedEntries(index: Index | undefined): Entry[] {
    if (!index) {
      this.ordered ??= [...this.items.entries()]
        .map(([key, item]) => ({ key, tuple: this.keyNames.map((n) => item[n]!) }))
        .sort((a, b) => compareTuples(a.tuple, b.tuple));
      return this.ordered;
    }
    const out: Entry[] = [];
    for (const entries of index.partitions.values()) {
      for (const e of entries)
        out.push({ key: e.key, tuple: [this.items.get(e.key)![index.schema.partitionKey]!, ...e.tuple] });
    }
    return out.sort((a, b) => compareTuples(a.tuple, b.tuple));
  }
}

function insertInto(partitions: Map<string, Entry[]>, partition: string, entry: Entry): void {
  const entries = partitions.get(partition);
  if (entries) insert(entries, entry);
  else partitions.set(partition, [entry]);
}

function removeFrom(partitions: Map<string, Entry[]>, partition: string, entry: Entry): void {
  const entries = partitions.get(partition);
  if (!entries) return;
  removeEntry(entries, entry);
  if (entries.length === 0) partitions.delete(partition);
}
