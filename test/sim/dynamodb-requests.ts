/**
 * Request validation shared by the operations: expression placeholders, keys, items, ReturnValues. These are
 * the checks DynamoDB makes before it touches an item, so a store bug that real DynamoDB would refuse (an
 * unused placeholder, an empty-string key, a number where the index wants a string) fails in the simulation too.
 */
import { quote, resourceNotFound, unsupported, validation } from './dynamodb-errors';
import { checkCondition, checkPlaceholders, type Bindings } from './dynamodb-evaluate';
import {
  parseCondition,
  parseProjection,
  parseUpdate,
  type Condition,
  type ExpressionLabel,
  type Parsed,
  type Path,
  type UpdateAst,
} from './dynamodb-expressions';
import type { Table } from './dynamodb-table';
import { importMap, importValue, itemSize, typeOf, type AttributeMap, type AttributeValue } from './dynamodb-values';

export type Request = Record<string, unknown>;

const MAX_ITEM_BYTES = 400 * 1024;

export interface Expressions {
  readonly bindings: Bindings;
  readonly condition?: Parsed<Condition>;
  readonly keyCondition?: Parsed<Condition>;
  readonly filter?: Parsed<Condition>;
  readonly update?: Parsed<UpdateAst>;
  readonly projection?: Parsed<Path[]>;
}

const NONE: Readonly<Record<string, never>> = Object.freeze({});

function checkMap(raw: unknown, what: 'Names' | 'Values', prefix: string): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object') throw validation(`ExpressionAttribute${what} must be a map`);
  let empty = true;
  for (const k in raw) {
    empty = false;
    if (!k.startsWith(prefix))
      throw validation(`ExpressionAttribute${what} contains invalid key: Syntax error; key: "${k}"`);
  }
  if (empty) throw validation(`ExpressionAttribute${what} must not be empty`);
  return raw as Record<string, unknown>;
}

function readNames(raw: unknown): Readonly<Record<string, string>> {
  const names = checkMap(raw, 'Names', '#');
  if (!names) return NONE;
  for (const k in names) {
    const v = names[k];
    if (typeof v !== 'string' || v === '')
      throw validation('ExpressionAttributeNames contains invalid value: Empty attribute name');
  }
  return names as Record<string, string>;
}

function readValues(raw: unknown): Readonly<Record<string, AttributeValue>> {
  const values = checkMap(raw, 'Values', ':');
  if (!values) return NONE;
  const out: Record<string, AttributeValue> = {};
  for (const k in values) out[k] = importValue(values[k]);
  return out;
}

/** Parses the request's expressions and checks its ExpressionAttributeNames/Values against them. */
export function expressions(req: Request, labels: readonly ExpressionLabel[]): Expressions {
  const names = readNames(req.ExpressionAttributeNames);
  const values = readValues(req.ExpressionAttributeValues);
  const parsed: Array<[ExpressionLabel, Parsed<unknown>]> = [];
  const out: { -readonly [K in keyof Expressions]: Expressions[K] } = { bindings: { names, values } };
  for (const label of labels) {
    const text = req[label];
    if (text === undefined) continue;
    if (typeof text !== 'string' || text.trim() === '')
      throw validation(`Invalid ${label}: The expression can not be empty;`);
    if (label === 'UpdateExpression') parsed.push([label, (out.update = parseUpdate(text))]);
    else if (label === 'ProjectionExpression') parsed.push([label, (out.projection = parseProjection(text))]);
    else {
      const p = parseCondition(text, label);
      if (label === 'ConditionExpression') out.condition = p;
      else if (label === 'KeyConditionExpression') out.keyCondition = p;
      else out.filter = p;
      parsed.push([label, p]);
    }
  }
  if (parsed.length === 0) {
    if (names !== NONE) throw validation('ExpressionAttributeNames can only be specified when using expressions');
    if (values !== NONE) throw validation('ExpressionAttributeValues can only be specified when using expressions');
    return out;
  }
  checkPlaceholders(parsed, names, values);
  for (const [label, p] of parsed) {
    if (label !== 'UpdateExpression' && label !== 'ProjectionExpression')
      checkCondition(p.ast as Condition, out.bindings, label);
  }
  return out;
}

/** The legacy (pre-expression) parameters are valid DynamoDB, but the model does not implement them. */
export function refuseLegacy(req: Request, names: readonly string[]): void {
  for (const n of names) if (req[n] !== undefined) throw unsupported(`the legacy parameter ${n}`);
}

export function table(tables: ReadonlyMap<string, Table>, name: unknown): Table {
  if (typeof name !== 'string' || name.length < 3) {
    throw validation(
      `1 validation error detected: Value '${quote(name)}' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3`,
    );
  }
  const t = tables.get(name);
  if (!t) throw resourceNotFound(name);
  return t;
}

function isEmptyScalar(v: AttributeValue): boolean {
  return v.S === '' || v.B?.length === 0;
}

/** A key attribute's value: a scalar of the declared type (S, N or B when undeclared). */
export function keyTypeMatches(t: Table, name: string, v: AttributeValue): boolean {
  const type = typeOf(v);
  const declared = t.schema.attributeTypes?.[name];
  return declared ? type === declared : type === 'S' || type === 'N' || type === 'B';
}

/** A Key parameter: exactly the table's key attributes, of the right types, not empty. */
export function readKey(
  t: Table,
  raw: unknown,
  what = 'The provided key element does not match the schema',
): { key: AttributeMap; encoded: string } {
  if (raw === undefined || raw === null)
    throw validation(
      "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null",
    );
  const key = importMap(raw);
  const names = t.keyNames;
  let count = 0;
  for (const _ in key) count++;
  if (count !== names.length) throw validation(what);
  for (const n of names) {
    const v = key[n];
    if (!v || !keyTypeMatches(t, n, v)) throw validation(what);
    if (isEmptyScalar(v))
      throw validation(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${n}`,
      );
  }
  return { key, encoded: t.encodeKey(key) };
}

/** An item about to be stored: key attributes, index key attributes (sparse, but typed when present), size. */
export function checkItem(t: Table, item: AttributeMap, update = false): void {
  for (const n of t.keyNames) {
    const v = item[n];
    if (!v) throw validation(`One or more parameter values were invalid: Missing the key ${n} in the item`);
    if (!keyTypeMatches(t, n, v))
      throw validation(
        `One or more parameter values were invalid: Type mismatch for key ${n} expected: ${t.schema.attributeTypes?.[n] ?? 'S'} actual: ${typeOf(v)}`,
      );
    if (isEmptyScalar(v))
      throw validation(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${n}`,
      );
  }
  for (const index of t.indexes.values()) {
    for (const n of [index.schema.partitionKey, index.schema.sortKey]) {
      const v = n === undefined ? undefined : item[n];
      if (!v || n === undefined) continue;
      if (!keyTypeMatches(t, n, v)) {
        throw validation(
          `One or more parameter values were invalid: Type mismatch for Index Key ${n} Expected: ${t.schema.attributeTypes?.[n] ?? 'S'} Actual: ${typeOf(v)} IndexName: ${index.schema.name}`,
        );
      }
      if (isEmptyScalar(v)) {
        throw validation(
          `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: ${index.schema.name}, IndexKey: ${n}`,
        );
      }
    }
  }
  for (const name in item)
    if (name === '') throw validation('One or more parameter values were invalid: An attribute name cannot be empty');
  if (itemSize(item) > MAX_ITEM_BYTES)
    throw validation(
      update
        ? 'Item size to update has exceeded the maximum allowed size'
        : 'Item size has exceeded the maximum allowed size',
    );
}

export function returnValues<T extends string>(raw: unknown, allowed: readonly T[]): T | 'NONE' {
  if (raw === undefined) return 'NONE';
  if (!allowed.includes(raw as T) && raw !== 'NONE') {
    if (['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'].includes(raw as string))
      throw validation('Return values set to invalid value');
    throw validation(
      `1 validation error detected: Value '${quote(raw)}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]`,
    );
  }
  return raw as T | 'NONE';
}

export function returnOnFailure(req: Request): boolean {
  const raw = req.ReturnValuesOnConditionCheckFailure;
  if (raw !== undefined && raw !== 'NONE' && raw !== 'ALL_OLD') {
    throw validation(
      `1 validation error detected: Value '${quote(raw)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
    );
  }
  return raw === 'ALL_OLD';
}

export function readLimit(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1) {
    throw validation(
      `1 validation error detected: Value '${quote(raw)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  }
  return raw;
}
