/**
 * GetItem, Query, Scan, TransactGetItems and BatchGetItem. Query and Scan share one page loop with DynamoDB's
 * paging rules: `Limit` counts the items *evaluated* (before the filter), the page also ends after about 1 MB
 * read, and `LastEvaluatedKey` is the key of the last item evaluated whenever the page ended early, even if
 * nothing follows (DynamoDB cannot know that without reading on: the caller then gets one more, empty page).
 */
import { quote, unsupported, validation } from './dynamodb-errors';
import { checkProjection, evaluate, project, resolvePath, type Bindings } from './dynamodb-evaluate';
import type { Condition, Operand } from './dynamodb-expressions';
import {
  expressions,
  keyTypeMatches,
  readKey,
  readLimit,
  refuseLegacy,
  table,
  type Expressions,
  type Request,
} from './dynamodb-requests';
import type { Index, Range, SortCondition, Table } from './dynamodb-table';
import {
  compareScalars,
  importMap,
  itemSize,
  typeOf,
  valuesEqual,
  type AttributeMap,
  type AttributeValue,
} from './dynamodb-values';
import { refuseDuplicates, type Output, type Store } from './dynamodb-writes';

const PAGE_BYTES = 1024 * 1024;

function projectionPaths(ex: Expressions): Array<Array<string | number>> | undefined {
  if (!ex.projection) return undefined;
  const paths = ex.projection.ast.map((p) => resolvePath(p, ex.bindings));
  checkProjection(paths);
  return paths;
}

export function getItem(store: Store, req: Request): Output {
  refuseLegacy(req, ['AttributesToGet']);
  const t = table(store.tables, req.TableName);
  const { encoded } = readKey(t, req.Key);
  const paths = projectionPaths(expressions(req, ['ProjectionExpression']));
  const item = t.items.get(encoded);
  if (!item) return {};
  return { Item: paths ? project(item, paths) : item };
}

function indexOf(t: Table, name: unknown, consistent: unknown): Index | undefined {
  if (name === undefined) return undefined;
  const index = t.indexes.get(name as string);
  if (!index) throw validation(`The table does not have the specified index: ${quote(name)}`);
  if (consistent === true) throw validation('Consistent reads are not supported on global secondary indexes');
  return index;
}

type Select = 'ALL_ATTRIBUTES' | 'ALL_PROJECTED_ATTRIBUTES' | 'COUNT' | 'SPECIFIC_ATTRIBUTES';

function readSelect(raw: unknown, index: Index | undefined, ex: Expressions): Select {
  if (raw === undefined)
    return ex.projection ? 'SPECIFIC_ATTRIBUTES' : index ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES';
  const select = raw as Select;
  if (!['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'COUNT', 'SPECIFIC_ATTRIBUTES'].includes(select)) {
    throw validation(
      `1 validation error detected: Value '${quote(raw)}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]`,
    );
  }
  if (select === 'SPECIFIC_ATTRIBUTES' && !ex.projection)
    throw validation(
      'Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES',
    );
  if (select !== 'SPECIFIC_ATTRIBUTES' && ex.projection)
    throw validation(
      `Cannot specify the ProjectionExpression when choosing to get ${select === 'COUNT' ? 'only the Count' : select}`,
    );
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && !index)
    throw validation('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  if (select === 'ALL_ATTRIBUTES' && index && index.schema.projection !== 'ALL') {
    throw validation(
      `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${index.schema.name} because its projection type is not ALL`,
    );
  }
  return select;
}

/** Reads one page from `range` (forwards or backwards): the loop Query and Scan share. */
function page(
  t: Table,
  index: Index | undefined,
  range: Range,
  forward: boolean,
  limit: number | undefined,
  ex: Expressions,
  select: Select,
): Output {
  const keysOnly = index && index.schema.projection === 'KEYS_ONLY' ? index.keyNames() : undefined;
  const lekNames = index ? index.keyNames() : t.keyNames;
  const paths = projectionPaths(ex);
  const items: AttributeMap[] = [];
  let scanned = 0;
  let bytes = 0;
  let last: AttributeMap | undefined;
  const step = forward ? 1 : -1;
  for (let i = forward ? range.lo : range.hi - 1; forward ? i < range.hi : i >= range.lo; i += step) {
    if ((limit !== undefined && scanned === limit) || bytes >= PAGE_BYTES) break;
    const stored = t.items.get(range.entries[i]!.key)!;
    // What the index holds: a KEYS_ONLY index has only the keys to filter and return.
    const item = keysOnly ? pick(stored, keysOnly) : stored;
    scanned++;
    bytes += itemSize(item);
    last = item;
    if (!ex.filter || evaluate(ex.filter.ast, item, ex.bindings)) items.push(item);
  }
  const out: Output = { Count: items.length, ScannedCount: scanned };
  if (select !== 'COUNT') out.Items = paths ? items.map((item) => project(item, paths)) : items;
  const stoppedEarly = (limit !== undefined && scanned === limit) || bytes >= PAGE_BYTES;
  if (stoppedEarly && last) out.LastEvaluatedKey = pick(last, lekNames);
  return out;
}

function pick(item: AttributeMap, names: readonly string[]): AttributeMap {
  const out: AttributeMap = {};
  for (const n of names) if (item[n]) out[n] = item[n];
  return out;
}

/** A KeyConditionExpression reduced to DynamoDB's only accepted shape: `pk = :v [AND <sort key condition>]`. */
function keyCondition(
  ast: Condition,
  b: Bindings,
  t: Table,
  pkName: string,
  skName: string | undefined,
): { pk: AttributeValue; sort?: SortCondition } {
  const parts = ast.kind === 'and' ? [ast.left, ast.right] : [ast];
  const found = new Map<string, { op: SortCondition['op']; values: AttributeValue[] }>();
  const attribute = (o: Operand): string | undefined => {
    if (o.kind !== 'path') return undefined;
    const path = resolvePath(o.path, b);
    return path.length === 1 ? String(path[0]) : undefined;
  };
  const value = (o: Operand): AttributeValue | undefined => (o.kind === 'value' ? b.values[o.ref] : undefined);
  for (const part of parts) {
    let name: string | undefined;
    let op: SortCondition['op'];
    let values: Array<AttributeValue | undefined>;
    if (part.kind === 'compare' && part.op !== '<>')
      [name, op, values] = [attribute(part.left), part.op, [value(part.right)]];
    else if (part.kind === 'between')
      [name, op, values] = [attribute(part.subject), 'between', [value(part.low), value(part.high)]];
    else if (part.kind === 'begins_with')
      [name, op, values] = [attribute(part.subject), 'begins_with', [value(part.prefix)]];
    else {
      const operator = part.kind === 'compare' ? part.op : part.kind.toUpperCase();
      throw validation(`Invalid operator used in KeyConditionExpression: ${operator}`);
    }
    if (name === undefined || values.some((v) => v === undefined) || (name !== pkName && name !== skName))
      throw validation('Query key condition not supported');
    if (found.has(name)) throw validation('KeyConditionExpressions must only contain one condition per key');
    // Values of the key's declared type (or, undeclared, of one scalar type).
    if (values.some((v) => !keyTypeMatches(t, name, v!) || typeOf(v!) !== typeOf(values[0]!))) {
      throw validation(
        'One or more parameter values were invalid: Condition parameter type does not match schema type',
      );
    }
    if (op === 'begins_with' && values[0]!.N !== undefined)
      throw validation(
        'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N',
      );
    found.set(name, { op, values: values as AttributeValue[] });
  }
  const pk = found.get(pkName);
  if (!pk) throw validation(`Query condition missed key schema element: ${pkName}`);
  if (pk.op !== '=') throw validation('Query key condition not supported');
  const sk = skName === undefined ? undefined : found.get(skName);
  if (!sk) return { pk: pk.values[0]! };
  const sort: SortCondition =
    sk.op === 'between'
      ? { op: 'between', value: sk.values[0]!, high: sk.values[1]! }
      : { op: sk.op, value: sk.values[0]! };
  return { pk: pk.values[0]!, sort };
}

function satisfies(v: AttributeValue, c: SortCondition): boolean {
  const order = compareScalars(v, c.value);
  if (order === undefined) return false;
  switch (c.op) {
    case '=':
      return order === 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case 'between':
      return order >= 0 && (compareScalars(v, c.high) ?? 1) <= 0;
    case 'begins_with':
      return (
        (v.S !== undefined && v.S.startsWith(c.value.S!)) ||
        (v.B !== undefined && Buffer.from(v.B).subarray(0, c.value.B!.length).equals(Buffer.from(c.value.B!)))
      );
  }
}

/** A Query's filter may not name the key attributes it is querying by. */
function refuseKeysInFilter(c: Condition, b: Bindings, keys: readonly string[]): void {
  const visit = (o: Operand): void => {
    if (o.kind === 'path' || o.kind === 'size') {
      const name = String(resolvePath(o.path, b)[0]);
      if (keys.includes(name))
        throw validation(
          `Filter Expression can only contain non-primary key attributes: Primary key attribute: ${name}`,
        );
    }
  };
  switch (c.kind) {
    case 'and':
    case 'or':
      return [c.left, c.right].forEach((x) => refuseKeysInFilter(x, b, keys));
    case 'not':
      return refuseKeysInFilter(c.operand, b, keys);
    case 'attribute_exists':
    case 'attribute_not_exists':
    case 'attribute_type':
      return visit({ kind: 'path', path: c.path });
    case 'compare':
      return [c.left, c.right].forEach(visit);
    case 'between':
      return [c.subject, c.low, c.high].forEach(visit);
    case 'in':
      return [c.subject, ...c.candidates].forEach(visit);
    case 'begins_with':
      return [c.subject, c.prefix].forEach(visit);
    case 'contains':
      return [c.subject, c.operand].forEach(visit);
  }
}

/** An ExclusiveStartKey: exactly the keys a LastEvaluatedKey of this read would hold. */
function startKey(raw: unknown, t: Table, index: Index | undefined): AttributeMap {
  const key = importMap(raw);
  const names = index ? index.keyNames() : t.keyNames;
  if (Object.keys(key).length !== names.length || names.some((n) => !key[n] || !keyTypeMatches(t, n, key[n]))) {
    throw validation('The provided starting key is invalid: The provided key element does not match the schema');
  }
  return key;
}

export function query(store: Store, req: Request): Output {
  refuseLegacy(req, ['KeyConditions', 'QueryFilter', 'AttributesToGet', 'ConditionalOperator']);
  const t = table(store.tables, req.TableName);
  const index = indexOf(t, req.IndexName, req.ConsistentRead);
  if (req.KeyConditionExpression === undefined)
    throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  const ex = expressions(req, ['KeyConditionExpression', 'FilterExpression', 'ProjectionExpression']);
  const limit = readLimit(req.Limit);
  const select = readSelect(req.Select, index, ex);
  const { partitionKey, sortKey } = index ? index.schema : t.schema;
  const { pk, sort } = keyCondition(ex.keyCondition!.ast, ex.bindings, t, partitionKey, sortKey);
  if (ex.filter) refuseKeysInFilter(ex.filter.ast, ex.bindings, sortKey ? [partitionKey, sortKey] : [partitionKey]);
  const forward = req.ScanIndexForward !== false;
  let start: AttributeValue[] | undefined;
  if (req.ExclusiveStartKey !== undefined) {
    const key = startKey(req.ExclusiveStartKey, t, index);
    if (!valuesEqual(key[partitionKey]!, pk))
      throw validation('The provided starting key is outside query boundaries based on provided conditions');
    if (sort && sortKey && !satisfies(key[sortKey]!, sort))
      throw validation('The provided starting key does not match the range key predicate');
    const tableKeys = t.keyNames.map((n) => key[n]!);
    start = index ? [...(sortKey ? [key[sortKey]!] : []), ...tableKeys] : tableKeys.slice(1);
  }
  return page(t, index, t.range(index, pk, sort, start, forward), forward, limit, ex, select);
}

export function scan(store: Store, req: Request): Output {
  refuseLegacy(req, ['ScanFilter', 'AttributesToGet', 'ConditionalOperator', 'Segment', 'TotalSegments']);
  const t = table(store.tables, req.TableName);
  const index = indexOf(t, req.IndexName, req.ConsistentRead);
  const ex = expressions(req, ['FilterExpression', 'ProjectionExpression']);
  const limit = readLimit(req.Limit);
  const select = readSelect(req.Select, index, ex);
  let start: AttributeValue[] | undefined;
  if (req.ExclusiveStartKey !== undefined) {
    const key = startKey(req.ExclusiveStartKey, t, index);
    const order = index
      ? [index.schema.partitionKey, ...(index.schema.sortKey ? [index.schema.sortKey] : []), ...t.keyNames]
      : t.keyNames;
    start = order.map((n) => key[n]!);
  }
  return page(t, index, t.scanRange(index, start), true, limit, ex, select);
}

function readGets(
  store: Store,
  raw: unknown,
): Array<{ t: Table; key: string; paths: Array<Array<string | number>> | undefined }> {
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 100)
    throw validation(
      "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100 and greater than or equal to 1",
    );
  return (raw as Request[]).map((entry) => {
    const get = entry.Get as Request | undefined;
    if (!get)
      throw validation(
        "1 validation error detected: Value null at 'transactItems.member.get' failed to satisfy constraint: Member must not be null",
      );
    const t = table(store.tables, get.TableName);
    return { t, key: readKey(t, get.Key).encoded, paths: projectionPaths(expressions(get, ['ProjectionExpression'])) };
  });
}

export function transactGetItems(store: Store, req: Request): Output {
  const gets = readGets(store, req.TransactItems);
  refuseDuplicates(
    gets.map((g) => ({ table: g.t, key: g.key })),
    'Transaction request cannot include multiple operations on one item',
  );
  return {
    Responses: gets.map(({ t, key, paths }) => {
      const item = t.items.get(key);
      return item ? { Item: paths ? project(item, paths) : item } : {};
    }),
  };
}

export function batchGetItem(store: Store, req: Request): Output {
  const requests = (req.RequestItems ?? {}) as Record<string, Request>;
  const responses: Record<string, AttributeMap[]> = {};
  let total = 0;
  for (const [name, r] of Object.entries(requests)) {
    if (r.AttributesToGet !== undefined) throw unsupported('the legacy parameter AttributesToGet');
    const t = table(store.tables, name);
    const keys = (Array.isArray(r.Keys) ? r.Keys : []).map((k) => readKey(t, k).encoded);
    total += keys.length;
    if (total > 100) throw validation('Too many items requested for the BatchGetItem call');
    refuseDuplicates(
      keys.map((key) => ({ table: t, key })),
      'Provided list of item keys contains duplicates',
    );
    const paths = projectionPaths(expressions(r, ['ProjectionExpression']));
    responses[name] = keys.flatMap((k) => {
      const item = t.items.get(k);
      return item ? [paths ? project(item, paths) : item] : [];
    });
  }
  return { Responses: responses, UnprocessedKeys: {} };
}
