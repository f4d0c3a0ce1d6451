/**
 * Seeded random command sequences over a small key space, for the differential test against moto: puts,
 * conditional updates (SET/REMOVE/ADD/DELETE, arithmetic, if_not_exists, list_append, nested paths), deletes,
 * gets, queries on the table and both sparse indexes, scans, and transactions, with random conditions.
 *
 * Every attribute keeps one type, so ordered comparisons meet values of their own type: moto crashes (HTTP 500)
 * on `<` between a string and a number where DynamoDB answers false, and it orders binaries by their base64
 * text; neither is what this test is about (the hand-written cases cover DynamoDB's answers there). For the
 * same reason there is no size() (moto crashes on the size of a missing attribute).
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Command, Pair } from './dynamodb-differential';

/** mulberry32: small, fast, and the same sequence for a seed on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** 1 to `max` distinct items, in random order. */
  subset<T>(items: readonly T[], max: number): T[] {
    return this.shuffle(items).slice(0, 1 + this.int(Math.min(max, items.length)));
  }
  shuffle<T>(items: readonly T[]): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (pool.length) out.push(pool.splice(this.int(pool.length), 1)[0]!);
    return out;
  }
}

type Type = 'N' | 'S' | 'B' | 'BOOL' | 'NULL' | 'SS' | 'NS' | 'M' | 'L';
type Item = Record<string, unknown>;

/** Non-key attributes and their (fixed) types; `status` is a reserved word, so always a placeholder. */
const ATTRIBUTES: Record<string, Type> = {
  version: 'N',
  status: 'S',
  leaseOwner: 'S',
  leaseExpiresAt: 'N',
  dueShard: 'S',
  refreshDueAt: 'N',
  recordKind: 'S',
  recordedAt: 'S',
  n: 'N',
  s: 'S',
  b: 'B',
  flag: 'BOOL',
  nothing: 'NULL',
  tags: 'SS',
  nums: 'NS',
  m: 'M',
  l: 'L',
};
const NAMES = Object.keys(ATTRIBUTES);
const RESERVED = new Set(['status']);
const USERS = ['u1', 'u2'];
const APPS = ['a1', 'a2', 'a3'];
const NUMBERS = [-2, -1, 0, 1, 2, 3, 10, 1.5, 0.25, 100];
const STRINGS = ['', 'a', 'ab', 'abc', 'b', 'active', 'revoked', 'x y', 'Z'];
/** Index keys only take values the indexes accept (an empty string would be refused, by both). */
const SPECIAL: Record<string, readonly unknown[]> = {
  dueShard: ['0', '1'],
  recordKind: ['revocation', 'other'],
  recordedAt: ['r1', 'r2', 'r3'],
  refreshDueAt: [5, 10, 20],
};

function value(rng: Rng, type: Type, name?: string): unknown {
  const special = name === undefined ? undefined : SPECIAL[name];
  if (special) return rng.pick(special);
  switch (type) {
    case 'N':
      return rng.pick(NUMBERS);
    case 'S':
      return rng.pick(STRINGS);
    case 'B':
      return new Uint8Array(rng.subset([1, 2, 3, 4], 3));
    case 'BOOL':
      return rng.chance(0.5);
    case 'NULL':
      return null;
    case 'SS':
      return new Set(rng.subset(['a', 'b', 'c'], 3));
    case 'NS':
      return new Set(rng.subset([1, 2, 3], 3));
    case 'M':
      return Object.fromEntries(
        rng.subset(['x', 'y'], 2).map((k) => [k, k === 'x' ? rng.pick(NUMBERS) : rng.pick(STRINGS)]),
      );
    case 'L':
      return rng.subset([1, 2, 3, 4], 3);
  }
}

/** Placeholders of one request: every name and value it registers is used by construction. */
class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  constructor(private readonly rng: Rng) {}
  name(attribute: string): string {
    if (!RESERVED.has(attribute) && this.rng.chance(0.6)) return attribute;
    const existing = Object.entries(this.names).find(([, v]) => v === attribute);
    if (existing) return existing[0];
    const ref = `#n${Object.keys(this.names).length}`;
    this.names[ref] = attribute;
    return ref;
  }
  value(v: unknown): string {
    const ref = `:v${Object.keys(this.values).length}`;
    this.values[ref] = v;
    return ref;
  }
  /** The request fields, without empty maps (DynamoDB refuses those). */
  fields(): Item {
    return {
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

function path(rng: Rng, ph: Placeholders, attribute: string): { text: string; type: Type } {
  const type = ATTRIBUTES[attribute]!;
  if (type === 'M' && rng.chance(0.5)) {
    const sub = rng.pick(['x', 'y']);
    return { text: `${ph.name(attribute)}.${sub}`, type: sub === 'x' ? 'N' : 'S' };
  }
  if (type === 'L' && rng.chance(0.4)) return { text: `${ph.name(attribute)}[${rng.int(3)}]`, type: 'N' };
  return { text: ph.name(attribute), type };
}

/** Attributes a Query filter may name (never an index's key attribute: DynamoDB refuses those in a filter). */
const FILTERABLE = NAMES.filter((n) => !['dueShard', 'refreshDueAt', 'recordKind', 'recordedAt'].includes(n));

export function condition(rng: Rng, ph: Placeholders, depth = 0, pool: readonly string[] = NAMES): string {
  if (depth < 2 && rng.chance(0.35)) {
    const kind = rng.pick(['AND', 'OR', 'NOT', 'PAREN']);
    // A leaf after NOT: moto fails with HTTP 500 on `NOT NOT` (valid DynamoDB, covered by the hand-written cases).
    if (kind === 'NOT') return `NOT ${condition(rng, ph, 2, pool)}`;
    if (kind === 'PAREN')
      return `(${condition(rng, ph, depth + 1, pool)} ${rng.pick(['AND', 'OR'])} ${condition(rng, ph, depth + 1, pool)})`;
    return `${condition(rng, ph, depth + 1, pool)} ${kind} ${condition(rng, ph, depth + 1, pool)}`;
  }
  const attribute = rng.pick(pool);
  const p = path(rng, ph, attribute);
  const ordered = p.type === 'N' || p.type === 'S';
  // moto takes a missing attribute for NULL (`missing = :null` is true there, false in DynamoDB): no NULL operands.
  if (p.type === 'NULL') return `${rng.pick(['attribute_exists', 'attribute_not_exists'])}(${p.text})`;
  switch (rng.int(9)) {
    case 0:
      return `attribute_exists(${p.text})`;
    case 1:
      return `attribute_not_exists(${p.text})`;
    case 2:
      return `${p.text} ${rng.pick(['=', '<>'])} ${ph.value(value(rng, rng.chance(0.8) ? p.type : rng.pick(['N', 'S', 'BOOL'] as const), attribute))}`;
    case 3:
      if (!ordered)
        return `attribute_type(${p.text}, ${ph.value(rng.pick(['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'M', 'L', 'BS']))})`;
      return `${p.text} ${rng.pick(['<', '<=', '>', '>='])} ${ph.value(value(rng, p.type, attribute))}`;
    case 4: {
      if (!ordered) return `attribute_exists(${p.text})`;
      const [low, high] = [value(rng, p.type, attribute), value(rng, p.type, attribute)].sort((x, y) =>
        x! < y! ? -1 : x! > y! ? 1 : 0,
      );
      return `${p.text} BETWEEN ${ph.value(low)} AND ${ph.value(high)}`;
    }
    case 5:
      return `${p.text} IN (${rng
        .subset([0, 1, 2], 3)
        .map(() => ph.value(value(rng, p.type, attribute)))
        .join(', ')})`;
    case 6:
      if (p.type === 'S') return `begins_with(${p.text}, ${ph.value(rng.pick(['', 'a', 'ab', 'r', 'x']))})`;
      return `attribute_not_exists(${p.text})`;
    case 7:
      if (p.type === 'S' || p.type === 'SS') return `contains(${p.text}, ${ph.value(rng.pick(['a', 'b', 'x', '']))})`;
      if (p.type === 'NS' || p.type === 'L') return `contains(${p.text}, ${ph.value(rng.pick([1, 2, 'a']))})`;
      return `attribute_exists(${p.text})`;
    default:
      // Not size(): moto fails with HTTP 500 on size() of a missing attribute (DynamoDB: the comparison is false).
      return `attribute_exists(${p.text})`;
  }
}

const key = (rng: Rng): Item => ({ userId: rng.pick(USERS), applicationId: rng.pick(APPS) });

function item(rng: Rng): Item {
  const out: Item = key(rng);
  for (const name of rng.subset(NAMES, 8)) {
    if ((name === 'dueShard') !== (name === 'refreshDueAt') || rng.chance(0.8))
      out[name] = value(rng, ATTRIBUTES[name]!, name);
  }
  return out;
}

/** A random UpdateExpression over distinct top-level attributes (so, valid unless `invalid`). */
function updateExpression(rng: Rng, ph: Placeholders, invalid: boolean): { expression: string; nested: boolean } {
  const clauses: Record<'SET' | 'REMOVE' | 'ADD' | 'DELETE', string[]> = { SET: [], REMOVE: [], ADD: [], DELETE: [] };
  let nested = false;
  for (const attribute of rng.subset(NAMES, 4)) {
    const type = ATTRIBUTES[attribute]!;
    const a = ph.name(attribute);
    const r = rng.int(10);
    if (r < 2) clauses.REMOVE.push(a);
    else if (type === 'N' && r < 4)
      clauses.SET.push(
        `${a} = ${rng.chance(0.5) ? a : `if_not_exists(${a}, ${ph.value(0)})`} ${rng.pick(['+', '-'])} ${ph.value(rng.pick(NUMBERS))}`,
      );
    else if (type === 'N' && r < 6 && !SPECIAL[attribute]) clauses.ADD.push(`${a} ${ph.value(rng.pick(NUMBERS))}`);
    else if ((type === 'SS' || type === 'NS') && r < 6)
      clauses[rng.pick(['ADD', 'DELETE'] as const)].push(`${a} ${ph.value(value(rng, type))}`);
    else if (type === 'L' && r < 6)
      clauses.SET.push(`${a} = list_append(if_not_exists(${a}, ${ph.value([])}), ${ph.value(value(rng, 'L'))})`);
    else if (type === 'M' && r < 6) {
      nested = true;
      const sub = rng.pick(['x', 'y'] as const);
      if (rng.chance(0.5)) clauses.SET.push(`${a}.${sub} = ${ph.value(value(rng, sub === 'x' ? 'N' : 'S'))}`);
      else clauses.REMOVE.push(`${a}.${sub}`);
    } else if (r < 7) clauses.SET.push(`${a} = if_not_exists(${a}, ${ph.value(value(rng, type, attribute))})`);
    else clauses.SET.push(`${a} = ${ph.value(value(rng, type, attribute))}`);
  }
  if (invalid) {
    // DynamoDB refuses these before reading the item: a key attribute, or one path twice.
    if (rng.chance(0.5)) clauses.SET.push(`${ph.name('applicationId')} = ${ph.value('x')}`);
    else clauses.REMOVE.push(clauses.SET[0]?.split(' = ')[0] ?? ph.name('n'), ph.name('n'));
  }
  const order = rng.shuffle(['SET', 'REMOVE', 'ADD', 'DELETE'] as const);
  const expression = order
    .filter((c) => clauses[c].length)
    .map((c) => `${c} ${clauses[c].join(', ')}`)
    .join(' ');
  return { expression: expression || `REMOVE ${ph.name('n')}`, nested };
}

export interface Generated {
  readonly command: Command;
  /** An update DynamoDB refuses whatever the item (a key attribute, or overlapping paths). */
  readonly invalid?: boolean;
  /** ReturnValues UPDATED_OLD / UPDATED_NEW of a top-level-only update (see the random test's normaliser). */
  readonly updated?: boolean;
}

function withCondition(rng: Rng, ph: Placeholders, p: number): Item {
  return rng.chance(p) ? { ConditionExpression: condition(rng, ph) } : {};
}

function update(rng: Rng, p: Pair, inTransaction: boolean): { input: Item; updated: boolean; invalid: boolean } {
  const ph = new Placeholders(rng);
  // Invalid updates only outside transactions (moto evaluates a transaction's conditions first).
  const invalid = !inTransaction && rng.chance(0.03);
  const { expression, nested } = updateExpression(rng, ph, invalid);
  const cond = withCondition(rng, ph, 0.5);
  const rv = inTransaction
    ? undefined
    : rng.pick(['NONE', 'ALL_OLD', 'ALL_NEW', ...(nested ? [] : ['UPDATED_OLD', 'UPDATED_NEW'])]);
  return {
    input: {
      TableName: p.c,
      Key: key(rng),
      UpdateExpression: expression,
      ...cond,
      ...ph.fields(),
      ...(rv ? { ReturnValues: rv } : {}),
      ...(rng.chance(0.3) ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}),
    },
    updated: rv === 'UPDATED_OLD' || rv === 'UPDATED_NEW',
    invalid,
  };
}

function transactItem(rng: Rng, p: Pair): Item {
  const ph = new Placeholders(rng);
  switch (rng.int(4)) {
    case 0:
      return { Put: { TableName: p.c, Item: item(rng), ...withCondition(rng, ph, 0.5), ...ph.fields() } };
    case 1:
      return { Update: update(rng, p, true).input };
    case 2:
      return { Delete: { TableName: p.c, Key: key(rng), ...withCondition(rng, ph, 0.5), ...ph.fields() } };
    default:
      return {
        ConditionCheck: {
          TableName: p.c,
          Key: key(rng),
          ConditionExpression: condition(rng, ph),
          ...ph.fields(),
          ...(rng.chance(0.3) ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}),
        },
      };
  }
}

function query(rng: Rng, p: Pair): Command {
  const ph = new Placeholders(rng);
  const index = rng.pick([undefined, undefined, 'refresh-due', 'records-by-kind']);
  const [pk, sk, pkValue, skType] =
    index === 'refresh-due'
      ? ['dueShard', 'refreshDueAt', rng.pick(['0', '1']), 'N' as const]
      : index === 'records-by-kind'
        ? ['recordKind', 'recordedAt', rng.pick(['revocation', 'other']), 'S' as const]
        : ['userId', 'applicationId', rng.pick(USERS), 'S' as const];
  let keyCondition = `${ph.name(pk)} = ${ph.value(pkValue)}`;
  if (rng.chance(0.6)) {
    const v = (): unknown =>
      skType === 'N'
        ? rng.pick([0, 5, 10, 15, 20, 30])
        : sk === 'recordedAt'
          ? rng.pick(['r1', 'r2', 'r3'])
          : rng.pick(APPS);
    const op = rng.pick(['=', '<', '<=', '>', '>=', 'BETWEEN', 'begins_with']);
    if (op === 'BETWEEN') {
      const [low, high] = [v(), v()].sort((x, y) => (x! < y! ? -1 : x! > y! ? 1 : 0));
      keyCondition += ` AND ${ph.name(sk)} BETWEEN ${ph.value(low)} AND ${ph.value(high)}`;
    } else if (op === 'begins_with') {
      if (skType === 'S')
        keyCondition += ` AND begins_with(${ph.name(sk)}, ${ph.value(rng.pick(['a', 'r', 'a1', 'x']))})`;
    } else keyCondition += ` AND ${ph.name(sk)} ${op} ${ph.value(v())}`;
  }
  const filter = rng.chance(0.3) ? { FilterExpression: condition(rng, ph, 1, FILTERABLE) } : {};
  return new QueryCommand({
    TableName: p.c,
    ...(index ? { IndexName: index } : {}),
    KeyConditionExpression: keyCondition,
    ...filter,
    ...ph.fields(),
    ...(rng.chance(0.6) ? { Limit: 1 + rng.int(3) } : {}),
    ...(rng.chance(0.3) ? { ScanIndexForward: false } : {}),
  });
}

/** The next random command of a sequence. */
export function generate(rng: Rng, p: Pair): Generated {
  const r = rng.int(100);
  if (r < 22) {
    const ph = new Placeholders(rng);
    return {
      command: new PutCommand({
        TableName: p.c,
        Item: item(rng),
        ...withCondition(rng, ph, 0.4),
        ...ph.fields(),
        ReturnValues: rng.pick(['NONE', 'ALL_OLD']),
      } as never),
    };
  }
  if (r < 50) {
    const u = update(rng, p, false);
    return { command: new UpdateCommand(u.input as never), updated: u.updated, invalid: u.invalid };
  }
  if (r < 58) {
    const ph = new Placeholders(rng);
    return {
      command: new DeleteCommand({
        TableName: p.c,
        Key: key(rng),
        ...withCondition(rng, ph, 0.4),
        ...ph.fields(),
        ReturnValues: rng.pick(['NONE', 'ALL_OLD']),
      } as never),
    };
  }
  if (r < 64) return { command: new GetCommand({ TableName: p.c, Key: key(rng), ConsistentRead: true }) };
  if (r < 80) return { command: query(rng, p) };
  if (r < 84) {
    const ph = new Placeholders(rng);
    return {
      command: new ScanCommand({
        TableName: p.c,
        ...(rng.chance(0.4) ? { FilterExpression: condition(rng, ph, 1) } : {}),
        ...ph.fields(),
        ...(rng.chance(0.5) ? { Limit: 1 + rng.int(4) } : {}),
      }),
    };
  }
  const items = Array.from({ length: 1 + rng.int(4) }, () => transactItem(rng, p));
  return { command: new TransactWriteCommand({ TransactItems: items }) };
}
