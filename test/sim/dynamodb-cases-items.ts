/**
 * Hand-written differential cases for single-item operations: PutItem, UpdateItem, DeleteItem, GetItem, and
 * the condition-expression language (exercised through conditional updates). Each case's commands run on
 * moto and on the model; dynamodb-model.test.ts compares every outcome and the final table contents.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Command, Outcome, Pair } from './dynamodb-differential';

export interface Case {
  readonly name: string;
  readonly setup?: (p: Pair) => Command[];
  readonly run: (p: Pair) => Command[];
  /** Query/Scan commands are followed page by page (each side with its own LastEvaluatedKey). */
  readonly paginate?: boolean;
  /**
   * Moto answers differently from DynamoDB here: the model is checked against DynamoDB's documented behaviour
   * (`expect`) instead of against moto, and the reason is recorded.
   */
  readonly deviation?: { readonly reason: string; readonly expect: (outcomes: Outcome[]) => void };
}

type Values = Record<string, unknown>;
export const key = (userId: string, applicationId: string): Values => ({ userId, applicationId });
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

/** An item with every attribute type, nested documents, index keys. */
export const RICH: Values = {
  ...key('u1', 'a1'),
  version: 3,
  status: 'active',
  n: 10,
  d: 1.5,
  neg: -2,
  s: 'hello',
  e: '',
  b: bytes(1, 2, 3),
  t: true,
  z: null,
  ss: new Set(['x', 'y']),
  ns: new Set([1, 2, 3]),
  bs: new Set([bytes(1), bytes(2)]),
  l: [1, 'two', [3], { four: 4 }],
  m: { x: 1, y: 'why', sub: { deep: 'yes' }, arr: [10, 20] },
  dueShard: '1',
  refreshDueAt: 50,
};

const putRich = (p: Pair): Command[] => [new PutCommand({ TableName: p.c, Item: RICH })];

/** Marks a case where moto is known to answer differently from DynamoDB (see the reasons). */
export function deviates(c: Case, reason: string, expect: (outcomes: Outcome[]) => void): Case {
  return { ...c, deviation: { reason, expect } };
}

export const MOTO_500 =
  'moto fails with an internal server error (HTTP 500) on this request; DynamoDB answers a ValidationException';

export function expectError(name: string): (outcomes: Outcome[]) => void {
  return (outcomes) => {
    const last = outcomes[outcomes.length - 1]!;
    if (!('error' in last) || last.error.name !== name)
      throw new Error(`expected ${name}, got ${JSON.stringify(last)}`);
  };
}

export const expectValidation = expectError('ValidationException');
const expectFailedCondition = expectError('ConditionalCheckFailedException');

/** The last outcome is a success whose output contains `expected` (when given). */
export function expectOutput(expected?: Record<string, unknown>): (outcomes: Outcome[]) => void {
  return (outcomes) => {
    const last = outcomes[outcomes.length - 1]!;
    if (!('output' in last)) throw new Error(`expected success, got ${JSON.stringify(last)}`);
    if (expected) expect(last.output).toMatchObject(expected);
  };
}

/** A conditional update of RICH: succeeds or fails with ConditionalCheckFailedException depending on `expr`. */
function condition(expr: string, values: Values = {}, names?: Record<string, string>): Case {
  return {
    name: `condition ${expr} ${JSON.stringify(values, (_k, v: unknown) => (v instanceof Set ? [...(v as Set<unknown>)] : v))}`,
    setup: putRich,
    run: (p) => [
      new UpdateCommand({
        TableName: p.c,
        Key: key('u1', 'a1'),
        UpdateExpression: 'SET probe = :probe',
        ConditionExpression: expr,
        ExpressionAttributeValues: { ':probe': 1, ...values },
        ...(names ? { ExpressionAttributeNames: names } : {}),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    ],
  };
}

const CONDITIONS: Case[] = [
  condition('n = :v', { ':v': 10 }),
  condition('n = :v', { ':v': '10' }),
  condition('n <> :v', { ':v': '10' }),
  condition('absent <> :v', { ':v': 1 }),
  condition('absent = :v', { ':v': 1 }),
  condition('n < :v', { ':v': 11 }),
  condition('n <= :v', { ':v': 10 }),
  condition('n > :v', { ':v': 9.5 }),
  condition('n >= :v', { ':v': 11 }),
  condition('d > :v', { ':v': 1.49 }),
  condition('neg < :v', { ':v': -1 }),
  condition('s < :v', { ':v': 'hellp' }),
  condition('s > :v', { ':v': 'Hello' }),
  deviates(
    condition('s < :v', { ':v': 5 }),
    'moto fails with HTTP 500 comparing a string with a number; DynamoDB: false',
    expectFailedCondition,
  ),
  condition('b < :v', { ':v': bytes(1, 2, 4) }),
  condition('b = :v', { ':v': bytes(1, 2, 3) }),
  condition('t = :v', { ':v': true }),
  condition('t < :v', { ':v': true }),
  condition('z = :v', { ':v': null }),
  condition('l = :v', { ':v': [1, 'two', [3], { four: 4 }] }),
  condition('m = :v', { ':v': { x: 1, y: 'why', sub: { deep: 'yes' }, arr: [10, 20] } }),
  condition('ss = :v', { ':v': new Set(['y', 'x']) }),
  condition('ns = :v', { ':v': new Set([3, 2, 1]) }),
  condition('m.x = :v', { ':v': 1 }),
  condition('m.sub.deep = :v', { ':v': 'yes' }),
  condition('l[1] = :v', { ':v': 'two' }),
  condition('l[2][0] = :v', { ':v': 3 }),
  condition('l[3].four = :v', { ':v': 4 }),
  condition('l[9] = :v', { ':v': 1 }),
  condition('m.nope.x <> :v', { ':v': 1 }),
  condition('#a.#b = :v', { ':v': 'why' }, { '#a': 'm', '#b': 'y' }),
  condition('#s = :v', { ':v': 'active' }, { '#s': 'status' }),
  condition('n = d', {}),
  condition('n > d', {}),
  condition(':a = :b', { ':a': 1, ':b': 1 }),
  condition('n BETWEEN :a AND :b', { ':a': 5, ':b': 10 }),
  condition('n BETWEEN :a AND :b', { ':a': 11, ':b': 20 }),
  condition('s BETWEEN :a AND :b', { ':a': 'a', ':b': 'z' }),
  deviates(
    condition('n BETWEEN :a AND :b', { ':a': 20, ':b': 5 }),
    'moto evaluates reversed BETWEEN bounds to false; DynamoDB refuses them ("requires upper bound to be greater than or equal to lower bound")',
    expectValidation,
  ),
  condition('n IN (:a, :b)', { ':a': 1, ':b': 10 }),
  condition('s IN (:a)', { ':a': 'nope' }),
  condition('l IN (:a)', { ':a': [1, 'two', [3], { four: 4 }] }),
  condition('absent IN (:a)', { ':a': 1 }),
  condition('attribute_exists(n)'),
  condition('attribute_exists(absent)'),
  condition('attribute_not_exists(absent)'),
  condition('attribute_exists(m.x)'),
  condition('attribute_exists(l[0])'),
  condition('attribute_exists(l[10])'),
  condition('attribute_exists(z)'),
  condition('attribute_not_exists(userId)'),
  ...(
    [
      ['n', 'N'],
      ['s', 'S'],
      ['b', 'B'],
      ['t', 'BOOL'],
      ['z', 'NULL'],
      ['l', 'L'],
      ['m', 'M'],
      ['ss', 'SS'],
      ['ns', 'NS'],
      ['bs', 'BS'],
      ['n', 'S'],
      ['absent', 'S'],
    ] as const
  ).map(([path, type]) => condition(`attribute_type(${path}, :t)`, { ':t': type })),
  deviates(
    condition('attribute_type(n, :t)', { ':t': 'NUMBER' }),
    'moto accepts an unknown type name; DynamoDB refuses it ("Invalid attribute type name found")',
    expectValidation,
  ),
  condition('begins_with(s, :p)', { ':p': 'he' }),
  condition('begins_with(s, :p)', { ':p': 'lo' }),
  condition('begins_with(s, :p)', { ':p': '' }),
  deviates(
    condition('begins_with(b, :p)', { ':p': bytes(1, 2) }),
    'moto compares binaries in their base64 text; DynamoDB compares bytes (true here)',
    expectOutput(),
  ),
  condition('begins_with(n, :p)', { ':p': '1' }),
  deviates(
    condition('begins_with(s, :p)', { ':p': 1 }),
    'moto evaluates begins_with with a number operand to false; DynamoDB refuses the operand type',
    expectValidation,
  ),
  condition('contains(s, :v)', { ':v': 'ell' }),
  condition('contains(ss, :v)', { ':v': 'x' }),
  condition('contains(ns, :v)', { ':v': 2 }),
  condition('contains(ns, :v)', { ':v': '2' }),
  condition('contains(l, :v)', { ':v': 'two' }),
  condition('contains(l, :v)', { ':v': [3] }),
  condition('contains(m, :v)', { ':v': 'x' }),
  deviates(
    condition('contains(b, :v)', { ':v': bytes(2, 3) }),
    'moto does not look into binaries; DynamoDB (as its CONTAINS operator documents) finds a byte subsequence',
    expectOutput(),
  ),
  condition('contains(bs, :v)', { ':v': bytes(1) }),
  condition('size(s) = :v', { ':v': 5 }),
  condition('size(l) = :v', { ':v': 4 }),
  condition('size(m) = :v', { ':v': 4 }),
  condition('size(ss) = :v', { ':v': 2 }),
  condition('size(b) = :v', { ':v': 3 }),
  condition('size(e) = :v', { ':v': 0 }),
  deviates(
    condition('size(absent) < :v', { ':v': 100 }),
    'moto fails with HTTP 500 on size() of a missing attribute; DynamoDB: the comparison is false',
    expectFailedCondition,
  ),
  condition('size(m.arr) > :v', { ':v': 1 }),
  condition('n = :a OR n = :b AND s = :c', { ':a': 10, ':b': 1, ':c': 'nope' }),
  condition('(n = :a OR n = :b) AND s = :c', { ':a': 10, ':b': 1, ':c': 'nope' }),
  condition('NOT n = :a', { ':a': 10 }),
  condition('NOT (n = :a OR s = :b)', { ':a': 1, ':b': 'hello' }),
  deviates(
    condition('NOT NOT n = :a', { ':a': 10 }),
    'moto fails with HTTP 500 on a double NOT; the grammar (NOT condition) allows it',
    expectOutput(),
  ),
  condition('n = :a and not attribute_exists(absent)', { ':a': 10 }),
  condition('(n = :a)', { ':a': 10 }),
  condition('((n = :a))', { ':a': 10 }),
  condition('(n = :a) AND ((s = :b))', { ':a': 10, ':b': 'hello' }),
  condition('status = :a', { ':a': 'active' }),
  condition('missing = :a', { ':a': 1 }),
  deviates(condition('ATTRIBUTE_EXISTS(n)'), MOTO_500, expectValidation),
  deviates(condition('n = :a AND', { ':a': 10 }), MOTO_500, expectValidation),
  deviates(condition('n == :a', { ':a': 10 }), MOTO_500, expectValidation),
  deviates(condition('#undefined = :a', { ':a': 10 }), MOTO_500, expectValidation),
  deviates(condition('n = :undefined'), MOTO_500, expectValidation),
  condition('n = :a', { ':a': 10 }, { '#unused': 'n' }),
  condition('n = :a', { ':a': 10, ':unused': 1 }),
  deviates(condition('begins_with(s)', {}), MOTO_500, expectValidation),
  deviates(condition('size(:a) > :a', { ':a': 1 }), MOTO_500, expectValidation),
  deviates(condition('n IN ()', {}), MOTO_500, expectValidation),
];

const update =
  (expr: string, values?: Values, extra: Values = {}): ((p: Pair) => Command[]) =>
  (p) => [
    new UpdateCommand({
      TableName: p.c,
      Key: key('u1', 'a1'),
      UpdateExpression: expr,
      ...(values ? { ExpressionAttributeValues: values } : {}),
      ReturnValues: 'ALL_NEW',
      ...extra,
    }),
  ];
const updateCase = (expr: string, values?: Values, extra: Values = {}): Case => ({
  name: `update ${expr}`,
  setup: putRich,
  run: update(expr, values, extra),
});

const UPDATES: Case[] = [
  updateCase('SET n = n + :one', { ':one': 1 }),
  updateCase('SET n = n - :one', { ':one': 1 }),
  updateCase('SET n = :a + :b', { ':a': 2, ':b': 3 }),
  updateCase('SET d = d + :x', { ':x': 0.25 }),
  updateCase('SET n2 = absent + :one', { ':one': 1 }),
  updateCase('SET n2 = s + :one', { ':one': 1 }),
  updateCase('SET n2 = :s + :one', { ':one': 1, ':s': 'x' }),
  updateCase('SET x = if_not_exists(x, :z)', { ':z': 0 }),
  updateCase('SET n = if_not_exists(n, :z)', { ':z': 0 }),
  updateCase('SET l = list_append(l, :more)', { ':more': [5, 6] }),
  updateCase('SET l = list_append(:more, l)', { ':more': [0] }),
  updateCase('SET l2 = list_append(if_not_exists(l2, :empty), :more)', { ':empty': [], ':more': ['a'] }),
  updateCase('SET l = list_append(l, :s)', { ':s': 'x' }),
  updateCase('SET m.x = :v', { ':v': 2 }),
  updateCase('SET m.newKey = :v', { ':v': 'new' }),
  updateCase('SET m.sub.deep = :v', { ':v': 'no' }),
  updateCase('SET l[1] = :v', { ':v': 'TWO' }),
  updateCase('SET l[10] = :v', { ':v': 'appended' }),
  updateCase('SET nope.x = :v', { ':v': 1 }),
  deviates(
    updateCase('SET s.x = :v', { ':v': 1 }),
    'moto ignores a SET below a string; DynamoDB: "The document path provided in the update expression is invalid for update"',
    expectValidation,
  ),
  updateCase('SET a = :v, b = :w', { ':v': 1, ':w': 2 }),
  updateCase('SET n = d, d = n'),
  updateCase('REMOVE s'),
  updateCase('REMOVE s, d'),
  updateCase('REMOVE m.x'),
  updateCase('REMOVE l[0]'),
  updateCase('REMOVE l[0], l[2]'),
  updateCase('REMOVE absent'),
  updateCase('REMOVE nope.x'),
  updateCase('REMOVE l[10]'),
  updateCase('ADD n :one', { ':one': 1 }),
  updateCase('ADD newN :five', { ':five': 5 }),
  updateCase('ADD ss :more', { ':more': new Set(['y', 'z']) }),
  updateCase('ADD newSet :set', { ':set': new Set(['a']) }),
  updateCase('ADD ns :nums', { ':nums': new Set([3, 4]) }),
  updateCase('ADD s :one', { ':one': 1 }),
  updateCase('ADD n :str', { ':str': 'x' }),
  updateCase('ADD ss :nums', { ':nums': new Set([1]) }),
  updateCase('DELETE ss :x', { ':x': new Set(['x']) }),
  updateCase('DELETE ss :both', { ':both': new Set(['x', 'y']) }),
  updateCase('DELETE missingSet :x', { ':x': new Set(['x']) }),
  updateCase('DELETE n :x', { ':x': new Set(['x']) }),
  updateCase('DELETE ss :str', { ':str': 'x' }),
  updateCase('SET a = :a REMOVE s ADD n :one DELETE ss :x', { ':a': 1, ':one': 1, ':x': new Set(['x']) }),
  updateCase('REMOVE s SET a = :a', { ':a': 1 }),
  updateCase('add n :one set a = :a', { ':a': 1, ':one': 1 }),
  updateCase('SET a = :a SET b = :a', { ':a': 1 }),
  updateCase('SET s = :a REMOVE s', { ':a': 1 }),
  updateCase('SET m.x = :a REMOVE m', { ':a': 1 }),
  updateCase('SET m.x = :a, m.y = :a', { ':a': 1 }),
  updateCase('SET a = :a, a = :a', { ':a': 1 }),
  updateCase('SET userId = :a', { ':a': 'x' }),
  updateCase('SET #k = :a', { ':a': 'x' }, { ExpressionAttributeNames: { '#k': 'applicationId' } }),
  updateCase('SET dueShard = :n', { ':n': 5 }),
  updateCase('SET refreshDueAt = :s', { ':s': 'soon' }),
  updateCase('SET dueShard = :e', { ':e': '' }),
  updateCase('SET e2 = :e', { ':e': '' }),
  updateCase('SET a = size(s)'),
  updateCase('SET a = :a', { ':a': 1, ':unused': 2 }),
  updateCase('SET #a = :a', { ':a': 1 }, { ExpressionAttributeNames: { '#a': 'a', '#b': 'b' } }),
  updateCase('SET a = :a', {}),
  updateCase('', { ':a': 1 }),
  updateCase('SET a = :a', { ':a': 1 }, { ReturnValues: 'ALL' }),
  ...(['NONE', 'ALL_OLD', 'ALL_NEW', 'UPDATED_OLD', 'UPDATED_NEW'] as const).map((rv) =>
    updateCase('SET n = n + :one, newA = :a REMOVE s', { ':one': 1, ':a': 'A' }, { ReturnValues: rv }),
  ),
  updateCase('REMOVE absent', undefined, { ReturnValues: 'UPDATED_OLD' }),
  {
    name: 'update of a missing item creates it',
    run: (p) => [
      new UpdateCommand({
        TableName: p.c,
        Key: key('u9', 'a9'),
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': 1 },
        ReturnValues: 'ALL_OLD',
      }),
    ],
  },
  {
    name: 'update of a missing item with a condition on it fails',
    run: (p) => [
      new UpdateCommand({
        TableName: p.c,
        Key: key('u9', 'a9'),
        UpdateExpression: 'SET a = :a',
        ConditionExpression: 'attribute_exists(userId)',
        ExpressionAttributeValues: { ':a': 1 },
      }),
    ],
  },
  {
    name: 'counter ADD on a missing item, UPDATED_OLD and UPDATED_NEW',
    run: (p) => [
      new UpdateCommand({
        TableName: p.c,
        Key: key('#counters', 'app'),
        UpdateExpression: 'ADD activeConnections :d',
        ExpressionAttributeValues: { ':d': 1 },
        ReturnValues: 'UPDATED_OLD',
      }),
      new UpdateCommand({
        TableName: p.c,
        Key: key('#counters', 'app'),
        UpdateExpression: 'ADD activeConnections :d',
        ExpressionAttributeValues: { ':d': -1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    ],
  },
  deviates(
    {
      name: 'update without an UpdateExpression creates the key',
      run: (p) => [new UpdateCommand({ TableName: p.c, Key: key('u8', 'a8'), ReturnValues: 'ALL_NEW' })],
    },
    'moto fails with HTTP 500 without an UpdateExpression; DynamoDB (UpdateExpression is optional) creates the item',
    expectOutput({ Attributes: key('u8', 'a8') }),
  ),
  {
    name: 'update with a key of the wrong type',
    run: (p) => [
      new UpdateCommand({
        TableName: p.c,
        Key: { userId: 'u1', applicationId: 5 },
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': 1 },
      }),
    ],
  },
  {
    name: 'update with an extra key attribute',
    run: (p) => [
      new UpdateCommand({
        TableName: p.c,
        Key: { ...key('u1', 'a1'), n: 1 },
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': 1 },
      }),
    ],
  },
  {
    name: 'update with a missing sort key',
    run: (p) => [
      new UpdateCommand({
        TableName: p.c,
        Key: { userId: 'u1' },
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': 1 },
      }),
    ],
  },
  deviates(
    {
      name: 'update with an empty-string key',
      run: (p) => [
        new UpdateCommand({
          TableName: p.c,
          Key: key('', 'a1'),
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeValues: { ':a': 1 },
        }),
      ],
    },
    'moto stores an item with an empty-string key; DynamoDB refuses empty key values',
    expectValidation,
  ),
  deviates(
    condition('absent = :null', { ':null': null }),
    'moto takes a missing attribute for NULL; in DynamoDB a comparison with a missing attribute is false',
    expectFailedCondition,
  ),
  deviates(
    condition('absent IN (:null, :a)', { ':null': null, ':a': 1 }),
    'moto takes a missing attribute for NULL; in DynamoDB a comparison with a missing attribute is false',
    expectFailedCondition,
  ),
  deviates(
    {
      name: 'size() of an attribute of a missing item',
      run: (p) => [
        new PutCommand({
          TableName: p.c,
          Item: key('u1', 'a1'),
          ConditionExpression: 'size(s) > :v',
          ExpressionAttributeValues: { ':v': 1 },
        }),
      ],
    },
    'moto fails with HTTP 500 on size() of a missing attribute; DynamoDB: the comparison is false',
    expectFailedCondition,
  ),
  deviates(
    updateCase('SET userId = :a', { ':a': 'x', ':v': 100 }, { ConditionExpression: 'n > :v' }),
    'moto evaluates the condition first (ConditionalCheckFailedException); DynamoDB refuses the request before reading the item',
    expectValidation,
  ),
  deviates(
    {
      name: 'UPDATED_NEW of an update that creates the item',
      run: (p) => [
        new UpdateCommand({
          TableName: p.c,
          Key: key('u9', 'a9'),
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeValues: { ':a': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ],
    },
    'moto also returns the key attributes (they changed, from missing); DynamoDB returns the attributes the update names',
    expectOutput({ Attributes: { a: 1 } }),
  ),
  deviates(
    updateCase(
      'SET m = :m',
      { ':m': { x: 1, y: 'new', sub: { deep: 'yes' }, arr: [10, 20] } },
      { ReturnValues: 'UPDATED_NEW' },
    ),
    'moto returns only the changed entries of the map; DynamoDB returns the updated attribute whole',
    (outcomes) =>
      expect(outcomes[0]).toEqual({
        output: expect.objectContaining({
          Attributes: { m: { x: 1, y: 'new', sub: { deep: 'yes' }, arr: [10, 20] } },
        }) as unknown,
      }),
  ),
  deviates(
    updateCase('SET n = :same, a = :a', { ':same': 10, ':a': 1 }, { ReturnValues: 'UPDATED_OLD' }),
    'moto leaves out an attribute set to the value it had; DynamoDB returns every attribute the update names',
    (outcomes) =>
      expect(outcomes[0]).toEqual({ output: expect.objectContaining({ Attributes: { n: 10 } }) as unknown }),
  ),
  deviates(
    updateCase('SET m.x = :v, l[1] = :w', { ':v': 5, ':w': 'deux' }, { ReturnValues: 'UPDATED_NEW' }),
    'moto returns whole lists and the changed map entries; DynamoDB returns the updated paths only',
    expectOutput({ Attributes: { m: { x: 5 }, l: ['deux'] } }),
  ),
  deviates(
    updateCase('SET m.x = :v REMOVE l[0]', { ':v': 5 }, { ReturnValues: 'UPDATED_OLD' }),
    'moto returns the whole old attributes; DynamoDB returns the updated paths only',
    expectOutput({ Attributes: { m: { x: 1 }, l: [1] } }),
  ),
  {
    name: 'decimal arithmetic is exact',
    run: (p) => [
      new PutCommand({ TableName: p.c, Item: { ...key('u1', 'a1'), n: 0.1 } }),
      ...update('SET n = n + :v', { ':v': 0.2 })(p),
    ],
  },
];

const PUTS: Case[] = [
  {
    name: 'put and get every type',
    run: (p) => [...putRich(p), new GetCommand({ TableName: p.c, Key: key('u1', 'a1'), ConsistentRead: true })],
  },
  {
    name: 'put overwrite with ALL_OLD',
    setup: putRich,
    run: (p) => [new PutCommand({ TableName: p.c, Item: { ...key('u1', 'a1'), n: 1 }, ReturnValues: 'ALL_OLD' })],
  },
  {
    name: 'put ALL_OLD of a new item',
    run: (p) => [new PutCommand({ TableName: p.c, Item: { ...key('u1', 'a1'), n: 1 }, ReturnValues: 'ALL_OLD' })],
  },
  ...['NONE', 'ALL_OLD'].map((rv): Case => ({
    name: `put attribute_not_exists twice (ReturnValuesOnConditionCheckFailure ${rv})`,
    run: (p) =>
      [1, 2].map(
        (n) =>
          new PutCommand({
            TableName: p.c,
            Item: { ...key('u1', 'a1'), n },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'userId' },
            ReturnValuesOnConditionCheckFailure: rv as 'NONE',
          }),
      ),
  })),
  {
    name: 'put with a condition on a missing item',
    run: (p) => [
      new PutCommand({
        TableName: p.c,
        Item: key('u1', 'a1'),
        ConditionExpression: '#v = :v',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':v': 1 },
      }),
    ],
  },
  { name: 'put without the sort key', run: (p) => [new PutCommand({ TableName: p.c, Item: { userId: 'u1' } })] },
  {
    name: 'put with a key of the wrong type',
    run: (p) => [new PutCommand({ TableName: p.c, Item: { userId: 'u1', applicationId: 5 } })],
  },
  { name: 'put with an empty-string key', run: (p) => [new PutCommand({ TableName: p.c, Item: key('u1', '') })] },
  {
    name: 'put with an empty string and empty containers',
    run: (p) => [
      new PutCommand({ TableName: p.c, Item: { ...key('u1', 'a1'), e: '', l: [], m: {}, eb: bytes() } }),
      new GetCommand({ TableName: p.c, Key: key('u1', 'a1') }),
    ],
  },
  deviates(
    {
      name: 'put with an index key of the wrong type',
      run: (p) => [new PutCommand({ TableName: p.c, Item: { ...key('u1', 'a1'), dueShard: 1, refreshDueAt: 5 } })],
    },
    'moto stores it (and leaves it out of the index); DynamoDB refuses it ("Type mismatch for Index Key")',
    expectValidation,
  ),
  {
    name: 'put with an empty index key',
    run: (p) => [new PutCommand({ TableName: p.c, Item: { ...key('u1', 'a1'), dueShard: '', refreshDueAt: 5 } })],
  },
  {
    name: 'put with ReturnValues ALL_NEW',
    run: (p) => [new PutCommand({ TableName: p.c, Item: key('u1', 'a1'), ReturnValues: 'ALL_NEW' })],
  },
  {
    name: 'put with an empty set (refused by the SDK)',
    run: (p) => [new PutCommand({ TableName: p.c, Item: { ...key('u1', 'a1'), ss: new Set() } })],
  },
  {
    name: 'put with names but no expression',
    run: (p) => [new PutCommand({ TableName: p.c, Item: key('u1', 'a1'), ExpressionAttributeNames: { '#a': 'a' } })],
  },
  {
    name: 'put with an unused name',
    run: (p) => [
      new PutCommand({
        TableName: p.c,
        Item: key('u1', 'a1'),
        ConditionExpression: 'attribute_not_exists(userId)',
        ExpressionAttributeNames: { '#a': 'a' },
      }),
    ],
  },
  {
    name: 'put into a missing table',
    run: () => [new PutCommand({ TableName: 'no-such-table', Item: key('u1', 'a1') })],
  },
  {
    name: 'put in wire form, numbers in odd notation',
    run: (p) => [
      new PutItemCommand({
        TableName: p.c,
        Item: { userId: { S: 'u1' }, applicationId: { S: 'a1' }, n: { N: '0010.50' }, ns: { NS: ['1', '2'] } },
      }),
      new GetItemCommand({ TableName: p.c, Key: { userId: { S: 'u1' }, applicationId: { S: 'a1' } } }),
    ],
  },
  {
    name: 'wire form update and delete',
    setup: putRich,
    run: (p) => [
      new UpdateItemCommand({
        TableName: p.c,
        Key: { userId: { S: 'u1' }, applicationId: { S: 'a1' } },
        UpdateExpression: 'SET n = n + :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      }),
      new DeleteItemCommand({
        TableName: p.c,
        Key: { userId: { S: 'u1' }, applicationId: { S: 'a1' } },
        ReturnValues: 'ALL_OLD',
      }),
    ],
  },
];

const DELETES_AND_GETS: Case[] = [
  {
    name: 'delete with ALL_OLD',
    setup: putRich,
    run: (p) => [new DeleteCommand({ TableName: p.c, Key: key('u1', 'a1'), ReturnValues: 'ALL_OLD' })],
  },
  {
    name: 'delete of a missing item with ALL_OLD',
    run: (p) => [new DeleteCommand({ TableName: p.c, Key: key('u1', 'a1'), ReturnValues: 'ALL_OLD' })],
  },
  {
    name: 'conditional delete that fails, with the old item',
    setup: putRich,
    run: (p) => [
      new DeleteCommand({
        TableName: p.c,
        Key: key('u1', 'a1'),
        ConditionExpression: 'n > :v',
        ExpressionAttributeValues: { ':v': 100 },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    ],
  },
  {
    name: 'consume: conditional delete of a missing item',
    run: (p) => [
      new DeleteCommand({
        TableName: p.s,
        Key: { stateHash: 'h' },
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'stateHash' },
        ReturnValues: 'ALL_OLD',
      }),
    ],
  },
  {
    name: 'delete with ReturnValues ALL_NEW',
    run: (p) => [new DeleteCommand({ TableName: p.c, Key: key('u1', 'a1'), ReturnValues: 'ALL_NEW' })],
  },
  {
    name: 'delete with an extra key attribute',
    run: (p) => [new DeleteCommand({ TableName: p.c, Key: { ...key('u1', 'a1'), x: 1 } })],
  },
  { name: 'get of a missing item', run: (p) => [new GetCommand({ TableName: p.c, Key: key('u1', 'a1') })] },
  {
    name: 'get with a projection',
    setup: putRich,
    run: (p) => [
      new GetCommand({
        TableName: p.c,
        Key: key('u1', 'a1'),
        ProjectionExpression: 's, m.x, l[3].four, #st',
        ExpressionAttributeNames: { '#st': 'status' },
      }),
    ],
  },
  deviates(
    {
      name: 'get with a projection of two list elements',
      setup: putRich,
      run: (p) => [new GetCommand({ TableName: p.c, Key: key('u1', 'a1'), ProjectionExpression: 'l[1], l[3].four' })],
    },
    'moto keeps only the last of two elements of one list; DynamoDB returns both, in index order',
    expectOutput({ Item: { l: ['two', { four: 4 }] } }),
  ),
  deviates(
    {
      name: 'get with overlapping projection paths',
      setup: putRich,
      run: (p) => [new GetCommand({ TableName: p.c, Key: key('u1', 'a1'), ProjectionExpression: 'm, m.x' })],
    },
    'moto accepts overlapping paths; DynamoDB: "Two document paths overlap with each other"',
    expectValidation,
  ),
  {
    name: 'get with a reserved word in the projection',
    setup: putRich,
    run: (p) => [new GetCommand({ TableName: p.c, Key: key('u1', 'a1'), ProjectionExpression: 'status' })],
  },
  {
    name: 'get with an unused name',
    setup: putRich,
    run: (p) => [
      new GetCommand({
        TableName: p.c,
        Key: key('u1', 'a1'),
        ProjectionExpression: 's',
        ExpressionAttributeNames: { '#x': 'x' },
      }),
    ],
  },
  {
    name: 'get with names but no projection',
    setup: putRich,
    run: (p) => [new GetCommand({ TableName: p.c, Key: key('u1', 'a1'), ExpressionAttributeNames: { '#x': 'x' } })],
  },
  deviates(
    {
      name: 'get with a key of the wrong type',
      run: (p) => [new GetCommand({ TableName: p.c, Key: { userId: 1, applicationId: 'a1' } })],
    },
    'moto answers no item; DynamoDB: "The provided key element does not match the schema"',
    expectValidation,
  ),
  {
    name: 'get in wire form',
    setup: putRich,
    run: (p) => [
      new GetItemCommand({
        TableName: p.c,
        Key: { userId: { S: 'u1' }, applicationId: { S: 'a1' } },
        ConsistentRead: true,
      }),
    ],
  },
];

export const ITEM_CASES: readonly Case[] = [...CONDITIONS, ...UPDATES, ...PUTS, ...DELETES_AND_GETS];
