/**
 * An exact, synchronous, in-memory model of DynamoDB for the deterministic simulation harness: it takes the very
 * command objects the stores send (lib-dynamodb DocumentClient commands or client-dynamodb commands) and answers
 * what the SDK would resolve with, or throws what the SDK would throw. See dynamodb-model.test.ts for the
 * differential tests against moto and the list of places where the model follows DynamoDB rather than moto.
 *
 * Layout: dynamodb-values (attribute values, numbers, ordering), dynamodb-expressions (tokenizer and parser),
 * dynamodb-evaluate (conditions, paths, projections), dynamodb-update (update expressions), dynamodb-table
 * (storage and indexes), dynamodb-requests (request validation), dynamodb-writes / dynamodb-reads (the
 * operations), dynamodb-errors (the SDK's exceptions), this file (command dispatch, SDK forms, listeners).
 *
 * Not modelled: legacy parameters (Expected, AttributeUpdates, KeyConditions, ...: a DynamoDbModelUnsupported
 * error), parallel Scan, TTL expiry (expired items stay, as they may in DynamoDB until its sweep), consumed
 * capacity, ClientRequestToken idempotency, the 4 MB transaction size limit, throttling, and Scan order across
 * partitions (DynamoDB's is by hash; here partitions come in key order). The 1 MB page limit and the 400 KB item
 * limit use DynamoDB's documented size accounting, which is approximate for numbers.
 */
import { convertToAttr, type marshallOptions as MarshallOptions } from '@aws-sdk/util-dynamodb';
import { TABLES, type TableDefinition } from '@token-vault/cdk/src/definitions/tables';
import { unsupported } from './dynamodb-errors';
import { batchGetItem, getItem, query, scan, transactGetItems } from './dynamodb-reads';
import { readKey, table, type Request } from './dynamodb-requests';
import { Table, type KeyType, type TableSchema } from './dynamodb-table';
import { cloneMap, toNativeMap, type AttributeMap, type UnmarshallOptions } from './dynamodb-values';
import {
  batchWriteItem,
  deleteItem,
  putItem,
  transactWriteItems,
  updateItem,
  type Output,
  type Store,
  type Write,
} from './dynamodb-writes';

export type { IndexSchema, KeyType, TableSchema } from './dynamodb-table';

export interface WriteChange {
  table: string;
  key: Record<string, unknown>;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

export interface DynamoDbModelOptions {
  /** As the DocumentClient's translateConfig. @default { removeUndefinedValues: true } (the project's clients) */
  marshallOptions?: MarshallOptions;
  unmarshallOptions?: UnmarshallOptions;
}

type Operation = (store: Store, req: Request) => Output;
type Form = 'document' | 'wire';

/** Commands by constructor name: the operation, and which SDK package's form the name implies. */
const COMMANDS: Record<string, { op: Operation; form?: Form }> = {
  GetCommand: { op: getItem, form: 'document' },
  PutCommand: { op: putItem, form: 'document' },
  UpdateCommand: { op: updateItem, form: 'document' },
  DeleteCommand: { op: deleteItem, form: 'document' },
  TransactWriteCommand: { op: transactWriteItems, form: 'document' },
  TransactGetCommand: { op: transactGetItems, form: 'document' },
  BatchGetCommand: { op: batchGetItem, form: 'document' },
  BatchWriteCommand: { op: batchWriteItem, form: 'document' },
  GetItemCommand: { op: getItem, form: 'wire' },
  PutItemCommand: { op: putItem, form: 'wire' },
  UpdateItemCommand: { op: updateItem, form: 'wire' },
  DeleteItemCommand: { op: deleteItem, form: 'wire' },
  TransactWriteItemsCommand: { op: transactWriteItems, form: 'wire' },
  TransactGetItemsCommand: { op: transactGetItems, form: 'wire' },
  BatchGetItemCommand: { op: batchGetItem, form: 'wire' },
  BatchWriteItemCommand: { op: batchWriteItem, form: 'wire' },
  // Both packages have these two names; the document client's commands wrap a `clientCommand`.
  QueryCommand: { op: query },
  ScanCommand: { op: scan },
};

const TRANSACT_WRITE_KINDS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;
const VALUE_FIELDS = ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'];

export class DynamoDbModel implements Store {
  readonly tables = new Map<string, Table>();
  private readonly listeners: Array<(change: WriteChange) => void> = [];
  private readonly marshallOptions: MarshallOptions;
  private readonly unmarshallOptions: UnmarshallOptions | undefined;

  constructor(tables: TableSchema[], options: DynamoDbModelOptions = {}) {
    for (const schema of tables) this.tables.set(schema.name, new Table(schema));
    this.marshallOptions = options.marshallOptions ?? { removeUndefinedValues: true };
    this.unmarshallOptions = options.unmarshallOptions;
    this.toNative = (m) => toNativeMap(m, this.unmarshallOptions);
  }

  /** Attribute maps to native values, as the document client unmarshalls them (made once: apply is hot). */
  private readonly toNative: (m: AttributeMap) => Record<string, unknown>;

  /**
   * Applies one command synchronously and returns the output the SDK would resolve with; throws the SDK's
   * exception (its `name` is DynamoDB's exception name) on failure.
   */
  apply(command: { input: unknown; constructor: { name: string } }): Record<string, unknown> {
    const name = command.constructor.name;
    const entry = COMMANDS[name];
    if (!entry) throw unsupported(`the command ${name}`);
    const form: Form = entry.form ?? ('clientCommand' in command || 'inputKeyNodes' in command ? 'document' : 'wire');
    const input = (command.input ?? {}) as Request;
    const output = entry.op(this, form === 'document' ? this.marshalInput(name, input) : input);
    return {
      ...copyOutput(output, form === 'document' ? this.toNative : cloneMap),
      $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 },
    };
  }

  /** Snapshot (deep copy, native values) of all items of a table, in key order. */
  items(tableName: string): Array<Record<string, unknown>> {
    const t = table(this.tables, tableName);
    const range = t.scanRange(undefined, undefined);
    return range.entries.map((e) => toNativeMap(t.items.get(e.key)!, this.unmarshallOptions));
  }

  /** Deep copy (native values) of one item, or undefined. */
  get(tableName: string, key: Record<string, unknown>): Record<string, unknown> | undefined {
    const t = table(this.tables, tableName);
    const item = t.items.get(readKey(t, this.marshalMap(key)).encoded);
    return item && toNativeMap(item, this.unmarshallOptions);
  }

  /** Called after every successful write, once per item written (for a transaction, after all of it applied). */
  onWrite(listener: (change: WriteChange) => void): void {
    this.listeners.push(listener);
  }

  /** Stores validated writes and notifies the listeners (the operations' side of the Store interface). */
  commit(writes: readonly Write[]): void {
    for (const w of writes) w.table.write(w.key, w.before, w.after);
    for (const w of writes) {
      for (const listener of this.listeners) {
        // Fresh copies for every listener: none can change what another one, or the store, sees.
        const change: WriteChange = {
          table: w.table.schema.name,
          key: this.toNative(w.table.keyOf((w.after ?? w.before)!)),
        };
        if (w.before) change.before = this.toNative(w.before);
        if (w.after) change.after = this.toNative(w.after);
        listener(change);
      }
    }
  }

  /** What the document client's marshalling middleware sends for a value map (top-level undefined is dropped). */
  private marshalMap(raw: unknown): AttributeMap | undefined {
    if (raw === undefined || raw === null || typeof raw !== 'object') return raw as undefined;
    const out: AttributeMap = {};
    for (const [k, v] of Object.entries(raw)) {
      if (v !== undefined && typeof v !== 'function') out[k] = convertToAttr(v, this.marshallOptions);
    }
    return out;
  }

  /** The request with its value maps in wire form. */
  private fields(req: Request): Request {
    const out: Request = { ...req };
    for (const f of VALUE_FIELDS) if (req[f] !== undefined) out[f] = this.marshalMap(req[f]);
    return out;
  }

  /** Replaces the value-map fields lib-dynamodb marshals (its commands' inputKeyNodes) with their wire form. */
  private marshalInput(name: string, input: Request): Request {
    switch (name) {
      case 'TransactWriteCommand':
      case 'TransactGetCommand':
        return {
          ...input,
          TransactItems: Array.isArray(input.TransactItems)
            ? (input.TransactItems as Request[]).map((entry) => {
                const out: Request = { ...entry };
                for (const k of [...TRANSACT_WRITE_KINDS, 'Get'])
                  if (entry[k]) out[k] = this.fields(entry[k] as Request);
                return out;
              })
            : input.TransactItems,
        };
      case 'BatchGetCommand':
        return {
          ...input,
          RequestItems: mapValues(input.RequestItems, (r: Request) => ({
            ...r,
            Keys: Array.isArray(r.Keys) ? r.Keys.map((k) => this.marshalMap(k)) : r.Keys,
          })),
        };
      case 'BatchWriteCommand':
        return {
          ...input,
          RequestItems: mapValues(input.RequestItems, (list: unknown) =>
            Array.isArray(list)
              ? (list as Request[]).map((w) => ({
                  ...w,
                  ...(w.PutRequest ? { PutRequest: this.fields(w.PutRequest as Request) } : {}),
                  ...(w.DeleteRequest ? { DeleteRequest: this.fields(w.DeleteRequest as Request) } : {}),
                }))
              : list,
          ),
        };
      default:
        return this.fields(input);
    }
  }
}

function mapValues<T>(raw: unknown, f: (v: T) => unknown): unknown {
  if (!raw || typeof raw !== 'object') return raw;
  return Object.fromEntries(Object.entries(raw as Record<string, T>).map(([k, v]) => [k, f(v)]));
}

/** Copies every attribute map of an output (to wire or native form): the fields lib-dynamodb's outputKeyNodes name. */
function copyOutput(output: Output, copy: (m: AttributeMap) => unknown): Output {
  const out: Output = { ...output };
  for (const f of ['Item', 'Attributes', 'LastEvaluatedKey'] as const)
    if (output[f]) out[f] = copy(output[f] as AttributeMap);
  if (output.Items) out.Items = (output.Items as AttributeMap[]).map(copy);
  if (Array.isArray(output.Responses))
    out.Responses = (output.Responses as Array<{ Item?: AttributeMap }>).map((r) =>
      r.Item ? { Item: copy(r.Item) } : {},
    );
  else if (output.Responses) out.Responses = mapValues(output.Responses, (items: AttributeMap[]) => items.map(copy));
  return out;
}

function schemaOf(name: string, def: TableDefinition): TableSchema {
  const attributeTypes: Record<string, KeyType> = {};
  for (const a of [
    def.partitionKey,
    def.sortKey,
    ...def.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ])
    if (a) attributeTypes[a.name] = a.type;
  return {
    name,
    partitionKey: def.partitionKey.name,
    ...(def.sortKey ? { sortKey: def.sortKey.name } : {}),
    indexes: def.globalSecondaryIndexes.map((i) => ({
      name: i.indexName,
      partitionKey: i.partitionKey.name,
      sortKey: i.sortKey.name,
      projection: i.projection,
    })),
    attributeTypes,
  };
}

/** TableSchemas of the project's tables (packages/cdk/src/definitions/tables.ts) under their physical names. */
export function schemasFromDefinitions(names: { connections: string; states: string }): TableSchema[] {
  const physical: Record<string, string> = { Connections: names.connections, OAuthStates: names.states };
  return TABLES.map((def) => {
    const name = physical[def.id];
    if (name === undefined) throw new Error(`schemasFromDefinitions: no physical name for table ${def.id}`);
    return schemaOf(name, def);
  });
}
