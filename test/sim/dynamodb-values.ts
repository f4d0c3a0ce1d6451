/**
 * Attribute values as DynamoDB holds them: the wire form ({ S }, { N }, { M }, ...), validated and normalised on
 * the way in, so everything after this file can trust its input: exactly one type per value, numbers in
 * DynamoDB's canonical text (hence N equality is string equality), sets non-empty and duplicate-free, binaries
 * copied (no aliasing with the caller). Ordering follows DynamoDB: numbers numerically (exact decimals, not
 * doubles), strings by UTF-8 bytes, binaries by unsigned bytes.
 */
import { convertToNative } from '@aws-sdk/util-dynamodb';
import { validation } from './dynamodb-errors';

export interface AttributeValue {
  S?: string;
  N?: string;
  B?: Uint8Array;
  BOOL?: boolean;
  NULL?: boolean;
  L?: AttributeValue[];
  M?: AttributeMap;
  SS?: string[];
  NS?: string[];
  BS?: Uint8Array[];
}
export type AttributeMap = Record<string, AttributeValue>;
export type TypeName = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'L' | 'M' | 'SS' | 'NS' | 'BS';
export const TYPE_NAMES: readonly TypeName[] = ['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS'];

/** DynamoDB's limit on nested maps and lists. */
const MAX_DEPTH = 32;

export function typeOf(v: AttributeValue): TypeName {
  if (v.S !== undefined) return 'S';
  if (v.N !== undefined) return 'N';
  if (v.M !== undefined) return 'M';
  if (v.L !== undefined) return 'L';
  if (v.BOOL !== undefined) return 'BOOL';
  if (v.NULL !== undefined) return 'NULL';
  if (v.B !== undefined) return 'B';
  if (v.SS !== undefined) return 'SS';
  if (v.NS !== undefined) return 'NS';
  return 'BS';
}

/** Assigns without tripping over an attribute literally named `__proto__` (legal in DynamoDB). */
export function setKey<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

// ---------------------------------------------------------------------------------------------------------
// Numbers: DynamoDB keeps up to 38 significant digits exactly and answers in plain decimal notation with
// leading/trailing zeros trimmed ("+1.50e1" is stored and returned as "15").

interface Decimal {
  negative: boolean;
  /** Significant digits without leading or trailing zeros; '' for zero. */
  digits: string;
  /** value = digits x 10^exponent */
  exponent: number;
}

const NUMBER_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Integers of at most 15 digits: canonical already, and exact as doubles (the hot path). */
const SMALL_CANONICAL_INT = /^(?:0|-?[1-9]\d{0,14})$/;
const SMALL_INT = /^-?\d{1,15}$/;

function parseDecimal(text: string): Decimal | undefined {
  const m = NUMBER_TEXT.exec(text);
  if (!m) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int.length + frac.length === 0) return undefined;
  const all = int + frac;
  let exponent = (m[4] === undefined ? 0 : parseInt(m[4], 10)) - frac.length;
  let start = 0;
  while (start < all.length && all.charCodeAt(start) === 48) start++;
  let end = all.length;
  while (end > start && all.charCodeAt(end - 1) === 48) {
    end--;
    exponent++;
  }
  if (start === end) return { negative: false, digits: '', exponent: 0 };
  return { negative: m[1] === '-', digits: all.slice(start, end), exponent };
}

function formatDecimal(d: Decimal): string {
  if (d.digits === '') return '0';
  const sign = d.negative ? '-' : '';
  if (d.exponent >= 0) return sign + d.digits + '0'.repeat(d.exponent);
  const point = d.digits.length + d.exponent;
  if (point > 0) return `${sign}${d.digits.slice(0, point)}.${d.digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${d.digits}`;
}

function checkedDecimal(d: Decimal): string {
  if (d.digits.length > 38) throw validation('Attempting to store more than 38 significant digits in a Number');
  const order = d.exponent + d.digits.length - 1;
  if (d.digits !== '' && order > 125)
    throw validation('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (d.digits !== '' && order < -130)
    throw validation('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  return formatDecimal(d);
}

/** Validates a number's text and returns DynamoDB's canonical form of it. */
export function normalizeNumber(text: string): string {
  if (SMALL_CANONICAL_INT.test(text)) return text;
  const d = parseDecimal(text);
  if (!d) throw validation(`The parameter cannot be converted to a numeric value: ${text}`);
  return checkedDecimal(d);
}

/** Compares two canonical numbers exactly. */
export function compareNumbers(a: string, b: string): number {
  if (a === b) return 0;
  // Up to 15 significant digits a double is exact and order-preserving.
  if (a.length <= 15 && b.length <= 15) return Number(a) < Number(b) ? -1 : 1;
  const x = parseDecimal(a)!;
  const y = parseDecimal(b)!;
  const sx = x.digits === '' ? 0 : x.negative ? -1 : 1;
  const sy = y.digits === '' ? 0 : y.negative ? -1 : 1;
  if (sx !== sy) return sx - sy;
  if (sx === 0) return 0;
  const ox = x.exponent + x.digits.length;
  const oy = y.exponent + y.digits.length;
  let magnitude = ox - oy;
  if (magnitude === 0) {
    const n = Math.max(x.digits.length, y.digits.length);
    for (let i = 0; i < n && magnitude === 0; i++)
      magnitude = (x.digits.charCodeAt(i) || 48) - (y.digits.charCodeAt(i) || 48);
  }
  return sx * magnitude;
}

/** Exact decimal `a + b` (or `a - b`), as DynamoDB's `+`, `-` and ADD compute it. */
export function addNumbers(a: string, b: string, subtract = false): string {
  if (SMALL_INT.test(a) && SMALL_INT.test(b)) return String(subtract ? Number(a) - Number(b) : Number(a) + Number(b));
  const x = parseDecimal(a)!;
  const y = parseDecimal(b)!;
  const exponent = Math.min(x.exponent, y.exponent);
  const scaled = (d: Decimal): bigint =>
    d.digits === '' ? 0n : BigInt(`${d.negative ? '-' : ''}${d.digits}`) * 10n ** BigInt(d.exponent - exponent);
  const sum = subtract ? scaled(x) - scaled(y) : scaled(x) + scaled(y);
  return checkedDecimal(parseDecimal(`${sum.toString()}e${exponent}`)!);
}

// ---------------------------------------------------------------------------------------------------------
// Ordering and equality.

/** Strings compare by UTF-8 bytes, i.e. by code point: only surrogates (code point > U+FFFF) need care. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Surrogates (D800-DFFF) sort above U+E000-U+FFFF in code point order: shift both ranges.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Order of two scalars of one type (S, N or B); undefined when DynamoDB cannot order them (false, not an error). */
export function compareScalars(a: AttributeValue, b: AttributeValue): number | undefined {
  if (a.S !== undefined) return b.S !== undefined ? compareStrings(a.S, b.S) : undefined;
  if (a.N !== undefined) return b.N !== undefined ? compareNumbers(a.N, b.N) : undefined;
  if (a.B !== undefined) return b.B !== undefined ? compareBytes(a.B, b.B) : undefined;
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if (a.S !== undefined) return a.S === b.S;
  if (a.N !== undefined) return a.N === b.N;
  if (a.BOOL !== undefined) return a.BOOL === b.BOOL;
  if (a.NULL !== undefined) return b.NULL !== undefined;
  if (a.B !== undefined) return b.B !== undefined && bytesEqual(a.B, b.B);
  if (a.L !== undefined)
    return b.L !== undefined && a.L.length === b.L.length && a.L.every((v, i) => valuesEqual(v, b.L![i]!));
  if (a.M !== undefined) {
    if (b.M === undefined) return false;
    const keys = Object.keys(a.M);
    return (
      keys.length === Object.keys(b.M).length &&
      keys.every((k) => Object.hasOwn(b.M!, k) && valuesEqual(a.M![k]!, b.M![k]!))
    );
  }
  // Sets are unordered.
  if (a.SS !== undefined)
    return b.SS !== undefined && a.SS.length === b.SS.length && a.SS.every((s) => b.SS!.includes(s));
  if (a.NS !== undefined)
    return b.NS !== undefined && a.NS.length === b.NS.length && a.NS.every((s) => b.NS!.includes(s));
  return b.BS !== undefined && a.BS!.length === b.BS.length && a.BS!.every((x) => b.BS!.some((y) => bytesEqual(x, y)));
}

// ---------------------------------------------------------------------------------------------------------
// In: validation, normalisation, copying.

const EMPTY = 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes';

function importSet<T>(raw: unknown, kind: string, each: (x: unknown) => T, same: (x: T, y: T) => boolean): T[] {
  if (!Array.isArray(raw)) throw validation(EMPTY);
  if (raw.length === 0) throw validation(`One or more parameter values were invalid: An ${kind} set  may not be empty`);
  const out: T[] = [];
  for (const x of raw) {
    const v = each(x);
    if (out.some((y) => same(v, y)))
      throw validation(
        `One or more parameter values were invalid: Input collection ${JSON.stringify(raw)} contains duplicates.`,
      );
    out.push(v);
  }
  return out;
}

function importString(x: unknown): string {
  if (typeof x !== 'string') throw validation(EMPTY);
  return x;
}

function importBinary(x: unknown): Uint8Array {
  if (!(x instanceof Uint8Array)) throw validation(EMPTY);
  return new Uint8Array(x);
}

/** Validates a wire-form value (from a client-dynamodb command, or marshalled from a lib-dynamodb one) and copies it. */
export function importValue(raw: unknown, depth = 0): AttributeValue {
  if (raw === null || typeof raw !== 'object') throw validation(EMPTY);
  if (depth > MAX_DEPTH) throw validation('Nesting Levels have exceeded supported limits');
  let out: AttributeValue | undefined;
  for (const key in raw) {
    const v = (raw as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (out) throw validation(EMPTY);
    switch (key) {
      case 'S':
        out = { S: importString(v) };
        break;
      case 'N':
        out = { N: normalizeNumber(importString(v)) };
        break;
      case 'B':
        out = { B: importBinary(v) };
        break;
      case 'BOOL':
        if (typeof v !== 'boolean') throw validation(EMPTY);
        out = { BOOL: v };
        break;
      case 'NULL':
        if (v !== true)
          throw validation(
            'One or more parameter values were invalid: Null attribute value types must have the value of true',
          );
        out = { NULL: true };
        break;
      case 'L':
        if (!Array.isArray(v)) throw validation(EMPTY);
        out = { L: v.map((x) => importValue(x, depth + 1)) };
        break;
      case 'M':
        out = { M: importMap(v, depth + 1) };
        break;
      case 'SS':
        out = { SS: importSet(v, 'string', importString, (x, y) => x === y) };
        break;
      case 'NS':
        out = {
          NS: importSet(
            v,
            'number',
            (x) => normalizeNumber(importString(x)),
            (x, y) => x === y,
          ),
        };
        break;
      case 'BS':
        out = { BS: importSet(v, 'binary', importBinary, bytesEqual) };
        break;
      default:
        throw validation(EMPTY);
    }
  }
  if (!out) throw validation(EMPTY);
  return out;
}

export function importMap(raw: unknown, depth = 0): AttributeMap {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw validation(EMPTY);
  const out: AttributeMap = {};
  for (const k in raw) setKey(out, k, importValue((raw as Record<string, unknown>)[k], depth));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Out: copies in wire form (client-dynamodb callers) or native form (lib-dynamodb callers).

export function cloneValue(v: AttributeValue): AttributeValue {
  if (v.S !== undefined) return { S: v.S };
  if (v.N !== undefined) return { N: v.N };
  if (v.M !== undefined) return { M: cloneMap(v.M) };
  if (v.L !== undefined) return { L: v.L.map(cloneValue) };
  if (v.BOOL !== undefined) return { BOOL: v.BOOL };
  if (v.NULL !== undefined) return { NULL: true };
  if (v.B !== undefined) return { B: new Uint8Array(v.B) };
  if (v.SS !== undefined) return { SS: [...v.SS] };
  if (v.NS !== undefined) return { NS: [...v.NS] };
  return { BS: v.BS!.map((b) => new Uint8Array(b)) };
}

export function cloneMap(m: AttributeMap): AttributeMap {
  const out: AttributeMap = {};
  for (const k in m) setKey(out, k, cloneValue(m[k]!));
  return out;
}

export interface UnmarshallOptions {
  wrapNumbers?: boolean | ((value: string) => unknown);
}

/** What lib-dynamodb's unmarshall would make of a value, with binaries copied (the SDK would alias them). */
export function toNative(v: AttributeValue, options: UnmarshallOptions | undefined): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) {
    const n = Number(v.N);
    // Outside the safe integers (or with wrapNumbers) the SDK's own rules apply: BigInt, NumberValue or an error.
    return !options?.wrapNumbers && Number.isSafeInteger(Math.trunc(n)) ? n : convertToNative({ N: v.N }, options);
  }
  if (v.M !== undefined) return toNativeMap(v.M, options);
  if (v.L !== undefined) return v.L.map((x) => toNative(x, options));
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.NULL !== undefined) return null;
  if (v.B !== undefined) return new Uint8Array(v.B);
  if (v.SS !== undefined) return new Set(v.SS);
  if (v.NS !== undefined) return new Set(v.NS.map((n) => toNative({ N: n }, options)));
  return new Set(v.BS!.map((b) => new Uint8Array(b)));
}

export function toNativeMap(m: AttributeMap, options: UnmarshallOptions | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in m) setKey(out, k, toNative(m[k]!, options));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Keys and sizes.

/** A scalar key value as a string, unique per value (numbers are canonical, so "1.0" and "1" meet). */
export function encodeScalar(v: AttributeValue): string {
  if (v.S !== undefined) return `s${v.S}`;
  if (v.N !== undefined) return `n${v.N}`;
  return `b${Buffer.from(v.B!).toString('base64')}`;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function numberSize(n: string): number {
  const significant = n.replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '').length;
  return Math.ceil(significant / 2) + 1;
}

/** DynamoDB's documented item-size accounting (approximate for numbers, as the documentation itself is). */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8Length(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return v.L.reduce((n, x) => n + valueSize(x) + 1, 3);
  if (v.M !== undefined) return Object.entries(v.M).reduce((n, [k, x]) => n + utf8Length(k) + valueSize(x) + 1, 3);
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + utf8Length(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + numberSize(s), 0);
  return v.BS!.reduce((n, b) => n + b.length, 0);
}

export function itemSize(item: AttributeMap): number {
  let n = 0;
  for (const k in item) n += utf8Length(k) + valueSize(item[k]!);
  return n;
}
