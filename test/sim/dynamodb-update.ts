/**
 * UpdateExpression application. `prepareUpdate` validates what the request alone determines (key attributes,
 * overlapping paths, literal operand types: a ValidationException before the item is read); `applyUpdate`
 * computes the new item, and its ValidationExceptions depend on the item (inside a transaction they become a
 * `ValidationError` cancellation reason).
 *
 * Stored values are never mutated in place: an update copies the containers along each path it writes, so the
 * old item stays intact for ReturnValues and write listeners, and values can be shared between versions.
 */
import { validation } from './dynamodb-errors';
import {
  checkOperandType,
  checkOverlaps,
  getPath,
  getResolved,
  resolvePath,
  type Bindings,
  type ResolvedPath,
} from './dynamodb-evaluate';
import type { SetValue, UpdateAst } from './dynamodb-expressions';
import {
  addNumbers,
  compareBytes,
  setKey,
  typeOf,
  type AttributeMap,
  type AttributeValue,
  type TypeName,
} from './dynamodb-values';

const LONG_TYPE: Record<TypeName, string> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  BOOL: 'BOOLEAN',
  NULL: 'NULL',
  L: 'LIST',
  M: 'MAP',
  SS: 'SET',
  NS: 'SET',
  BS: 'SET',
};

export interface PreparedUpdate {
  readonly sets: ReadonlyArray<{ path: ResolvedPath; value: SetValue }>;
  readonly removes: readonly ResolvedPath[];
  readonly adds: ReadonlyArray<{ path: ResolvedPath; value: AttributeValue }>;
  readonly deletes: ReadonlyArray<{ path: ResolvedPath; value: AttributeValue }>;
  /** Every path the update writes, for ReturnValues UPDATED_OLD / UPDATED_NEW. */
  readonly paths: readonly ResolvedPath[];
}

const NUMBER: readonly TypeName[] = ['N'];
const LIST: readonly TypeName[] = ['L'];

function checkSetValue(v: SetValue, b: Bindings): void {
  if (v.kind === '+' || v.kind === '-' || v.kind === 'list_append') {
    const allowed = v.kind === 'list_append' ? LIST : NUMBER;
    checkOperandType('UpdateExpression', v.kind, v.left, b, allowed);
    checkOperandType('UpdateExpression', v.kind, v.right, b, allowed);
    checkSetValue(v.left, b);
    checkSetValue(v.right, b);
  } else if (v.kind === 'if_not_exists') checkSetValue(v.fallback, b);
}

function updateOperand(op: 'ADD' | 'DELETE', ref: string, b: Bindings, allowed: readonly TypeName[]): AttributeValue {
  const v = b.values[ref]!;
  if (!allowed.includes(typeOf(v)))
    throw validation(
      `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${op}, operand type: ${LONG_TYPE[typeOf(v)]}`,
    );
  return v;
}

const ADDABLE: readonly TypeName[] = ['N', 'SS', 'NS', 'BS'];
const SETS: readonly TypeName[] = ['SS', 'NS', 'BS'];

/** Resolves and validates an update against the request alone. */
export function prepareUpdate(ast: UpdateAst, b: Bindings, keyNames: readonly string[]): PreparedUpdate {
  const sets = ast.set.map((s) => ({ path: resolvePath(s.path, b), value: s.value }));
  // Removing list elements from the highest index down keeps the lower indexes meaning what the request meant.
  const removes = ast.remove.map((p) => resolvePath(p, b));
  if (removes.length > 1) removes.sort(comparePathsDescending);
  const adds = ast.add.map((a) => ({ path: resolvePath(a.path, b), value: updateOperand('ADD', a.ref, b, ADDABLE) }));
  const deletes = ast.delete.map((d) => ({
    path: resolvePath(d.path, b),
    value: updateOperand('DELETE', d.ref, b, SETS),
  }));
  const all: ResolvedPath[] = [];
  for (const s of sets) all.push(s.path);
  for (const r of removes) all.push(r);
  for (const a of adds) all.push(a.path);
  for (const d of deletes) all.push(d.path);
  for (const p of all) {
    if (keyNames.includes(p[0] as string))
      throw validation(
        `One or more parameter values were invalid: Cannot update attribute ${p[0]}. This attribute is part of the key`,
      );
  }
  checkOverlaps(all, 'UpdateExpression');
  for (const s of ast.set) checkSetValue(s.value, b);
  return { sets, removes, adds, deletes, paths: all };
}

function comparePathsDescending(a: ResolvedPath, b: ResolvedPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return typeof x === 'number' && typeof y === 'number' ? y - x : String(y) < String(x) ? -1 : 1;
  }
  return b.length - a.length;
}

const INVALID_PATH = 'The document path provided in the update expression is invalid for update';
const WRONG_TYPE = 'An operand in the update expression has an incorrect data type';

function setValue(v: SetValue, old: AttributeMap, b: Bindings): AttributeValue {
  switch (v.kind) {
    case 'value':
      return b.values[v.ref]!;
    case 'path': {
      const x = getPath(old, v.path, b);
      if (!x) throw validation('The provided expression refers to an attribute that does not exist in the item');
      return x;
    }
    case 'if_not_exists':
      return getPath(old, v.path, b) ?? setValue(v.fallback, old, b);
    case 'list_append': {
      const l = setValue(v.left, old, b);
      const r = setValue(v.right, old, b);
      if (!l.L || !r.L) throw validation(WRONG_TYPE);
      return { L: [...l.L, ...r.L] };
    }
    case 'size':
      throw validation(WRONG_TYPE); // unreachable: the parser refuses size() in updates
    default: {
      const l = setValue(v.left, old, b);
      const r = setValue(v.right, old, b);
      if (l.N === undefined || r.N === undefined) throw validation(WRONG_TYPE);
      return { N: addNumbers(l.N, r.N, v.kind === '-') };
    }
  }
}

/**
 * The container that holds the last element of `path`, made writable by copying every container on the way
 * (the item's top level is already a fresh copy). Undefined when the path does not lead to a map or list.
 */
function writableParent(item: AttributeMap, path: ResolvedPath): AttributeMap | AttributeValue[] | undefined {
  let container: AttributeMap | AttributeValue[] = item;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const child: AttributeValue | undefined = Array.isArray(container)
      ? typeof key === 'number'
        ? container[key]
        : undefined
      : typeof key === 'string' && Object.hasOwn(container, key)
        ? container[key]
        : undefined;
    let next: AttributeMap | AttributeValue[];
    if (child?.M) next = { ...child.M };
    else if (child?.L) next = [...child.L];
    else return undefined;
    const copy: AttributeValue = Array.isArray(next) ? { L: next } : { M: next };
    if (Array.isArray(container)) container[key as number] = copy;
    else setKey(container, key as string, copy);
    container = next;
  }
  return container;
}

function assign(item: AttributeMap, path: ResolvedPath, value: AttributeValue): void {
  const parent = writableParent(item, path);
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === 'number') {
    // DynamoDB appends when the index is past the end of the list.
    if (key < parent.length) parent[key] = value;
    else parent.push(value);
  } else if (parent && !Array.isArray(parent) && typeof key === 'string') setKey(parent, key, value);
  else throw validation(INVALID_PATH);
}

function remove(item: AttributeMap, path: ResolvedPath): void {
  if (path.length === 1) {
    delete item[path[0] as string];
    return;
  }
  const parent = writableParent(item, path);
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === 'number') {
    if (key < parent.length) parent.splice(key, 1);
  } else if (parent && !Array.isArray(parent) && typeof key === 'string') delete parent[key];
  else throw validation(INVALID_PATH);
}

function union(a: AttributeValue, b: AttributeValue): AttributeValue {
  if (a.SS && b.SS) return { SS: [...a.SS, ...b.SS.filter((x) => !a.SS!.includes(x))] };
  if (a.NS && b.NS) return { NS: [...a.NS, ...b.NS.filter((x) => !a.NS!.includes(x))] };
  if (a.BS && b.BS) return { BS: [...a.BS, ...b.BS.filter((x) => !a.BS!.some((y) => compareBytes(x, y) === 0))] };
  throw validation(WRONG_TYPE);
}

function difference(a: AttributeValue, b: AttributeValue): AttributeValue | undefined {
  let out: AttributeValue;
  if (a.SS && b.SS) out = { SS: a.SS.filter((x) => !b.SS!.includes(x)) };
  else if (a.NS && b.NS) out = { NS: a.NS.filter((x) => !b.NS!.includes(x)) };
  else if (a.BS && b.BS) out = { BS: a.BS.filter((x) => !b.BS!.some((y) => compareBytes(x, y) === 0)) };
  else throw validation(WRONG_TYPE);
  // DynamoDB has no empty sets: deleting the last element removes the attribute.
  return (out.SS ?? out.NS ?? out.BS)!.length ? out : undefined;
}

/** The item after the update; `base` is the stored item, or just its key when it does not exist yet. */
export function applyUpdate(u: PreparedUpdate, base: AttributeMap, b: Bindings): AttributeMap {
  // Every right-hand side reads the item as it was before this update.
  const values: AttributeValue[] = new Array<AttributeValue>(u.sets.length);
  for (let i = 0; i < u.sets.length; i++) values[i] = setValue(u.sets[i]!.value, base, b);
  const item: AttributeMap = { ...base };
  for (let i = 0; i < u.sets.length; i++) assign(item, u.sets[i]!.path, values[i]!);
  for (const p of u.removes) remove(item, p);
  for (const a of u.adds) {
    const current = getResolved(base, a.path);
    if (!current) assign(item, a.path, a.value);
    else if (a.value.N !== undefined) {
      if (current.N === undefined) throw validation(WRONG_TYPE);
      assign(item, a.path, { N: addNumbers(current.N, a.value.N) });
    } else assign(item, a.path, union(current, a.value));
  }
  for (const d of u.deletes) {
    const current = getResolved(base, d.path);
    if (!current) continue;
    const rest = difference(current, d.value);
    if (rest) assign(item, d.path, rest);
    else remove(item, d.path);
  }
  return item;
}
