/**
 * Evaluation of parsed expressions against items: placeholders, document paths, condition/filter semantics and
 * projections (updates are in dynamodb-update.ts). Two phases, as in DynamoDB: the `check*` functions validate
 * what the request alone determines (placeholders, literal operand types, overlapping paths: a
 * ValidationException before anything is read), `evaluate` depends on the item.
 */
import { validation } from './dynamodb-errors';
import type { Condition, ExpressionLabel, Operand, Parsed, Path } from './dynamodb-expressions';
import {
  compareBytes,
  compareScalars,
  TYPE_NAMES,
  typeOf,
  valuesEqual,
  type AttributeMap,
  type AttributeValue,
  type TypeName,
} from './dynamodb-values';

export interface Bindings {
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, AttributeValue>>;
}
export type ResolvedPath = ReadonlyArray<string | number>;

/** The distinct placeholders of a request's expressions, cached per combination of (cached) parses. */
const UNIONS = new WeakMap<object, { names: string[]; values: string[]; next: WeakMap<object, unknown> }>();

function placeholdersOf(parsed: ReadonlyArray<[ExpressionLabel, Parsed<unknown>]>): {
  names: readonly string[];
  values: readonly string[];
} {
  let level = UNIONS as WeakMap<object, { names: string[]; values: string[]; next: WeakMap<object, unknown> }>;
  let entry: { names: string[]; values: string[]; next: WeakMap<object, unknown> } | undefined;
  for (const [, p] of parsed) {
    let next = level.get(p);
    if (!next) {
      const names = new Set([...(entry?.names ?? []), ...p.names]);
      const values = new Set([...(entry?.values ?? []), ...p.values]);
      level.set(p, (next = { names: [...names], values: [...values], next: new WeakMap() }));
    }
    entry = next;
    level = next.next as typeof level;
  }
  return entry ?? { names: [], values: [] };
}

/** Every placeholder used must be defined, and every one defined must be used somewhere in the request. */
export function checkPlaceholders(
  parsed: ReadonlyArray<[ExpressionLabel, Parsed<unknown>]>,
  names: Bindings['names'],
  values: Bindings['values'],
): void {
  for (const [label, p] of parsed) {
    for (const n of p.names) {
      if (!Object.hasOwn(names, n))
        throw validation(
          `Invalid ${label}: An expression attribute name used in the document path is not defined; attribute name: ${n}`,
        );
    }
    for (const v of p.values) {
      if (!Object.hasOwn(values, v))
        throw validation(
          `Invalid ${label}: An expression attribute value used in expression is not defined; attribute value: ${v}`,
        );
    }
  }
  // All used ones are defined, so nothing is unused exactly when the counts match.
  const used = placeholdersOf(parsed);
  const definedNames = Object.keys(names);
  if (definedNames.length !== used.names.length) {
    throw validation(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${definedNames.filter((n) => !used.names.includes(n)).join(', ')}}`,
    );
  }
  const definedValues = Object.keys(values);
  if (definedValues.length !== used.values.length) {
    throw validation(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${definedValues.filter((v) => !used.values.includes(v)).join(', ')}}`,
    );
  }
}

export function resolvePath(path: Path, b: Bindings): Array<string | number> {
  const out: Array<string | number> = new Array<string | number>(path.length);
  for (let i = 0; i < path.length; i++) {
    const e = path[i]!;
    out[i] = e.kind === 'name' ? e.name : e.kind === 'ref' ? b.names[e.ref]! : e.index;
  }
  return out;
}

export function getResolved(item: AttributeMap | undefined, path: ResolvedPath): AttributeValue | undefined {
  let v: AttributeValue | undefined =
    item && Object.hasOwn(item, path[0] as string) ? item[path[0] as string] : undefined;
  for (let i = 1; i < path.length && v; i++) {
    const key = path[i]!;
    v = typeof key === 'number' ? v.L?.[key] : v.M && Object.hasOwn(v.M, key) ? v.M[key] : undefined;
  }
  return v;
}

export function getPath(item: AttributeMap | undefined, path: Path, b: Bindings): AttributeValue | undefined {
  if (path.length === 1) {
    // The common case, a top-level attribute: no resolved path to allocate.
    const e = path[0]!;
    const name = e.kind === 'name' ? e.name : e.kind === 'ref' ? b.names[e.ref]! : '';
    return item && Object.hasOwn(item, name) ? item[name] : undefined;
  }
  return getResolved(item, resolvePath(path, b));
}

// ---------------------------------------------------------------------------------------------------------
// Conditions.

export function literal(op: Operand, b: Bindings): AttributeValue | undefined {
  return op.kind === 'value' ? b.values[op.ref] : undefined;
}

function refuse(label: ExpressionLabel, message: string): never {
  throw validation(`Invalid ${label}: ${message}`);
}

export function checkOperandType(
  label: ExpressionLabel,
  fn: string,
  op: Operand,
  b: Bindings,
  allowed: readonly TypeName[],
): void {
  const v = literal(op, b);
  if (v && !allowed.includes(typeOf(v)))
    refuse(
      label,
      `Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${typeOf(v)}`,
    );
}

const showOperand = (v: AttributeValue): string => `AttributeValue: {${typeOf(v)}:${v.S ?? v.N ?? '...'}}`;

/** Request-only checks of a condition's literal operands (DynamoDB refuses these before reading the item). */
export function checkCondition(c: Condition, b: Bindings, label: ExpressionLabel): void {
  switch (c.kind) {
    case 'and':
    case 'or':
      checkCondition(c.left, b, label);
      checkCondition(c.right, b, label);
      return;
    case 'not':
      checkCondition(c.operand, b, label);
      return;
    case 'attribute_type': {
      const t = literal(c.type, b);
      if (t && (t.S === undefined || !TYPE_NAMES.includes(t.S as TypeName))) {
        refuse(
          label,
          `Invalid attribute type name found; type: ${t.S ?? typeOf(t)}, valid types: { B,BOOL,BS,L,M,N,NS,NULL,S,SS }`,
        );
      }
      return;
    }
    case 'begins_with':
      checkOperandType(label, 'begins_with', c.subject, b, ['S', 'B']);
      checkOperandType(label, 'begins_with', c.prefix, b, ['S', 'B']);
      return;
    case 'between': {
      const low = literal(c.low, b);
      const high = literal(c.high, b);
      if (low && high) {
        const order = compareScalars(low, high);
        const bounds = `lower bound operand: ${showOperand(low)}, upper bound operand: ${showOperand(high)}`;
        if (order === undefined && typeOf(low) !== typeOf(high))
          refuse(label, `The BETWEEN operator requires same data type for lower and upper bounds; ${bounds}`);
        if (order !== undefined && order > 0)
          refuse(
            label,
            `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; ${bounds}`,
          );
      }
      return;
    }
    default:
      return;
  }
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** `size()`: bytes of a string or binary, elements of a set, list or map; nothing for other types. */
function sizeOf(v: AttributeValue | undefined): AttributeValue | undefined {
  if (!v) return undefined;
  const n =
    v.S !== undefined
      ? utf8Length(v.S)
      : v.B !== undefined
        ? v.B.length
        : v.M !== undefined
          ? Object.keys(v.M).length
          : (v.L ?? v.SS ?? v.NS ?? v.BS)?.length;
  return n === undefined ? undefined : { N: String(n) };
}

function operandValue(op: Operand, item: AttributeMap | undefined, b: Bindings): AttributeValue | undefined {
  switch (op.kind) {
    case 'value':
      return b.values[op.ref];
    case 'path':
      return getPath(item, op.path, b);
    case 'size':
      return sizeOf(getPath(item, op.path, b));
    default:
      return undefined; // update-only functions never reach a condition (the parser refuses them)
  }
}

function startsWith(v: AttributeValue, prefix: AttributeValue): boolean {
  if (v.S !== undefined) return prefix.S !== undefined && v.S.startsWith(prefix.S);
  if (v.B !== undefined && prefix.B !== undefined)
    return v.B.length >= prefix.B.length && compareBytes(v.B.subarray(0, prefix.B.length), prefix.B) === 0;
  return false;
}

function contains(v: AttributeValue, x: AttributeValue): boolean {
  if (v.S !== undefined) return x.S !== undefined && v.S.includes(x.S);
  if (v.B !== undefined) return x.B !== undefined && Buffer.from(v.B).includes(Buffer.from(x.B));
  if (v.SS !== undefined) return x.S !== undefined && v.SS.includes(x.S);
  if (v.NS !== undefined) return x.N !== undefined && v.NS.includes(x.N);
  if (v.BS !== undefined) return x.B !== undefined && v.BS.some((e) => compareBytes(e, x.B!) === 0);
  if (v.L !== undefined) return v.L.some((e) => valuesEqual(e, x));
  return false;
}

/** DynamoDB's truth: a missing operand makes a comparison false (but `<>` true), and mismatched types are false. */
export function evaluate(c: Condition, item: AttributeMap | undefined, b: Bindings): boolean {
  switch (c.kind) {
    case 'and':
      return evaluate(c.left, item, b) && evaluate(c.right, item, b);
    case 'or':
      return evaluate(c.left, item, b) || evaluate(c.right, item, b);
    case 'not':
      return !evaluate(c.operand, item, b);
    case 'attribute_exists':
      return getPath(item, c.path, b) !== undefined;
    case 'attribute_not_exists':
      return getPath(item, c.path, b) === undefined;
    case 'attribute_type': {
      const v = getPath(item, c.path, b);
      const t = operandValue(c.type, item, b);
      return v !== undefined && t?.S === typeOf(v);
    }
    case 'begins_with': {
      const v = operandValue(c.subject, item, b);
      const p = operandValue(c.prefix, item, b);
      return v !== undefined && p !== undefined && startsWith(v, p);
    }
    case 'contains': {
      const v = operandValue(c.subject, item, b);
      const x = operandValue(c.operand, item, b);
      return v !== undefined && x !== undefined && contains(v, x);
    }
    case 'in': {
      const v = operandValue(c.subject, item, b);
      return (
        v !== undefined &&
        c.candidates.some((o) => {
          const x = operandValue(o, item, b);
          return x !== undefined && valuesEqual(v, x);
        })
      );
    }
    case 'between': {
      const v = operandValue(c.subject, item, b);
      const low = operandValue(c.low, item, b);
      const high = operandValue(c.high, item, b);
      if (!v || !low || !high) return false;
      const a = compareScalars(v, low);
      const z = compareScalars(v, high);
      return a !== undefined && z !== undefined && a >= 0 && z <= 0;
    }
    case 'compare': {
      const l = operandValue(c.left, item, b);
      const r = operandValue(c.right, item, b);
      if (c.op === '=') return l !== undefined && r !== undefined && valuesEqual(l, r);
      if (c.op === '<>') return l === undefined || r === undefined || !valuesEqual(l, r);
      const order = l && r ? compareScalars(l, r) : undefined;
      if (order === undefined) return false;
      return c.op === '<' ? order < 0 : c.op === '<=' ? order <= 0 : c.op === '>' ? order > 0 : order >= 0;
    }
  }
}

const showPath = (p: ResolvedPath): string => `[${p.map((e) => (typeof e === 'number' ? `[${e}]` : e)).join(', ')}]`;

function isPrefix(a: ResolvedPath, b: ResolvedPath): boolean {
  return a.length <= b.length && a.every((e, i) => e === b[i]);
}

/** DynamoDB refuses two paths of one expression when one is a prefix of the other (or both are the same). */
export function checkOverlaps(list: readonly ResolvedPath[], label: ExpressionLabel): void {
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if (isPrefix(a, b) || isPrefix(b, a)) {
        throw validation(
          `Invalid ${label}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${showPath(a)}, path two: ${showPath(b)}`,
        );
      }
    }
  }
}

/** Paths of a projection must not overlap either. */
export function checkProjection(list: readonly ResolvedPath[]): void {
  checkOverlaps(list, 'ProjectionExpression');
}

// ---------------------------------------------------------------------------------------------------------
// Projections (ProjectionExpression, KEYS_ONLY indexes, UPDATED_OLD / UPDATED_NEW).

interface Tree {
  leaf: boolean;
  children: Map<string | number, Tree>;
}

function projectValue(v: AttributeValue, node: Tree): AttributeValue | undefined {
  if (node.leaf) return v;
  if (v.M) {
    const m: AttributeMap = {};
    let any = false;
    for (const [k, child] of node.children) {
      if (typeof k !== 'string' || !Object.hasOwn(v.M, k)) continue;
      const x = projectValue(v.M[k]!, child);
      if (x) {
        m[k] = x;
        any = true;
      }
    }
    return any ? { M: m } : undefined;
  }
  if (v.L) {
    // Selected list elements come back in index order, without gaps.
    const indexes = [...node.children.keys()]
      .filter((k): k is number => typeof k === 'number' && k < v.L!.length)
      .sort((x, y) => x - y);
    const l = indexes
      .map((i) => projectValue(v.L![i]!, node.children.get(i)!))
      .filter((x): x is AttributeValue => x !== undefined);
    return l.length ? { L: l } : undefined;
  }
  return undefined;
}

/** The parts of `item` the paths select (values shared with the item: copy before handing out). */
export function project(item: AttributeMap, selected: readonly ResolvedPath[]): AttributeMap {
  const root: Tree = { leaf: false, children: new Map() };
  for (const p of selected) {
    let node = root;
    for (const e of p) {
      let child = node.children.get(e);
      if (!child) node.children.set(e, (child = { leaf: false, children: new Map() }));
      node = child;
    }
    node.leaf = true;
  }
  return projectValue({ M: item }, root)?.M ?? {};
}
