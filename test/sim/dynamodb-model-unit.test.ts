/**
 * Unit tests of the DynamoDB model for what moto cannot be asked about cheaply (or answers differently from
 * DynamoDB): exact numbers, UTF-8 ordering, copying, write listeners, atomicity, ReturnValues of named paths,
 * paging limits, item size, index maintenance, SDK error shapes, and throughput.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand as WireQueryCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DynamoDbModel, schemasFromDefinitions, type WriteChange } from './dynamodb-model';
import { addNumbers, compareNumbers, compareStrings, normalizeNumber } from './dynamodb-values';

const C = 'vault-Connections';
const S = 'vault-OAuthStates';
const model = (): DynamoDbModel => new DynamoDbModel(schemasFromDefinitions({ connections: C, states: S }));
const key = (userId: string, applicationId: string): Record<string, string> => ({ userId, applicationId });
const put = (m: DynamoDbModel, item: Record<string, unknown>): void =>
  void m.apply(new PutCommand({ TableName: C, Item: item }));
const errorOf = (f: () => unknown): Error & Record<string, unknown> => {
  try {
    f();
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected an error');
};

describe('numbers', () => {
  test.each([
    ['+1.50e1', '15'],
    ['0.000', '0'],
    ['-0', '0'],
    ['00042', '42'],
    ['1e-7', '0.0000001'],
    ['1E+21', '1000000000000000000000'],
    ['-.5', '-0.5'],
    ['5.', '5'],
  ])('%s is stored as %s', (text, canonical) => expect(normalizeNumber(text)).toBe(canonical));

  test.each(['1.2.3', 'NaN', 'Infinity', ' 5', '1e', '', '0x10'])('%j is not a number', (text) => {
    expect(() => normalizeNumber(text)).toThrow(/cannot be converted to a numeric value/);
  });

  test('38 significant digits, magnitudes from 1E-130 to below 1E126', () => {
    expect(normalizeNumber('12345678901234567890123456789012345678')).toHaveLength(38);
    expect(() => normalizeNumber('123456789012345678901234567890123456789')).toThrow(/38 significant digits/);
    expect(() => normalizeNumber('1E126')).toThrow(/overflow/);
    expect(() => normalizeNumber('1E-131')).toThrow(/underflow/);
    expect(normalizeNumber('1E-130')).toBe(`0.${'0'.repeat(129)}1`);
  });

  test('arithmetic and comparison are exact decimals, not doubles', () => {
    expect(addNumbers('0.1', '0.2')).toBe('0.3');
    expect(addNumbers('12345678901234567890.1', '0.9')).toBe('12345678901234567891');
    expect(addNumbers('5', '5', true)).toBe('0');
    expect(compareNumbers('12345678901234567890', '12345678901234567891')).toBeLessThan(0);
    expect(compareNumbers('-1000000000000000000', '-999999999999999999.5')).toBeLessThan(0);
    expect(compareNumbers('0.00000000000000000001', '0')).toBeGreaterThan(0);
  });

  test('an update adds exactly', () => {
    const m = model();
    put(m, { ...key('u', 'a'), n: 0.1 });
    const out = m.apply(
      new UpdateCommand({
        TableName: C,
        Key: key('u', 'a'),
        UpdateExpression: 'SET n = n + :x',
        ExpressionAttributeValues: { ':x': 0.2 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    expect(out.Attributes).toEqual({ n: 0.3 });
  });
});

describe('strings order by UTF-8 bytes', () => {
  test('a supplementary character sorts after U+FFFF (JavaScript would sort it before)', () => {
    expect(compareStrings('\uffff', '\u{10000}')).toBeLessThan(0);
    expect('\uffff' < '\u{10000}').toBe(false);
    const m = model();
    for (const app of ['b\u{10000}', 'b\uffff', 'b\u00e9', 'bz']) put(m, key('u', app));
    const out = m.apply(
      new QueryCommand({
        TableName: C,
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': 'u' },
      }),
    );
    expect((out.Items as Array<{ applicationId: string }>).map((i) => i.applicationId)).toEqual([
      'bz',
      'b\u00e9',
      'b\uffff',
      'b\u{10000}',
    ]);
  });
});

describe('no aliasing between callers and the store', () => {
  test('inputs and outputs are copies, binaries included', () => {
    const m = model();
    const bytes = new Uint8Array([1, 2, 3]);
    const item = { ...key('u', 'a'), b: bytes, m: { x: [1] }, ss: new Set(['a']) };
    put(m, item);
    bytes[0] = 9;
    item.m.x.push(2);
    item.ss.add('b');
    const got = m.get(C, key('u', 'a'))!;
    expect(got).toEqual({ ...key('u', 'a'), b: new Uint8Array([1, 2, 3]), m: { x: [1] }, ss: new Set(['a']) });
    (got.b as Uint8Array)[1] = 9;
    (got.m as { x: number[] }).x.push(3);
    const out = m.apply(new GetCommand({ TableName: C, Key: key('u', 'a') })).Item as {
      b: Uint8Array;
      m: { x: number[] };
    };
    expect(out.b).toEqual(new Uint8Array([1, 2, 3]));
    expect(out.m.x).toEqual([1]);
    out.b[2] = 7;
    expect(m.items(C)[0]!.b).toEqual(new Uint8Array([1, 2, 3]));
  });

  test('the command input is not modified', () => {
    const m = model();
    const input = {
      TableName: C,
      Key: key('u', 'a'),
      UpdateExpression: 'SET n = :n',
      ExpressionAttributeValues: { ':n': 1 },
    };
    const copy = structuredClone(input);
    m.apply(new UpdateCommand(input));
    expect(input).toEqual(copy);
  });
});

describe('write listeners', () => {
  test('one call per item written; a transaction is seen whole; failures and no-ops are not writes', () => {
    const m = model();
    const changes: WriteChange[] = [];
    const seenDuring: unknown[] = [];
    m.onWrite((c) => {
      changes.push(c);
      seenDuring.push(m.get(C, key('#counters', 'a')));
    });
    put(m, { ...key('u', 'a'), v: 1 });
    expect(changes).toEqual([{ table: C, key: key('u', 'a'), after: { ...key('u', 'a'), v: 1 } }]);
    expect(() =>
      m.apply(
        new PutCommand({ TableName: C, Item: key('u', 'a'), ConditionExpression: 'attribute_not_exists(userId)' }),
      ),
    ).toThrow(ConditionalCheckFailedException);
    m.apply(new DeleteCommand({ TableName: C, Key: key('nobody', 'a') }));
    expect(changes).toHaveLength(1);
    m.apply(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: C,
              Key: key('u', 'a'),
              UpdateExpression: 'SET v = :v',
              ExpressionAttributeValues: { ':v': 2 },
            },
          },
          {
            Update: {
              TableName: C,
              Key: key('#counters', 'a'),
              UpdateExpression: 'ADD activeConnections :d',
              ExpressionAttributeValues: { ':d': 1 },
            },
          },
        ],
      }),
    );
    expect(changes.slice(1)).toEqual([
      { table: C, key: key('u', 'a'), before: { ...key('u', 'a'), v: 1 }, after: { ...key('u', 'a'), v: 2 } },
      { table: C, key: key('#counters', 'a'), after: { ...key('#counters', 'a'), activeConnections: 1 } },
    ]);
    // Both listener calls of the transaction already saw the counter: the whole transaction had applied.
    expect(seenDuring.slice(1)).toEqual([
      { ...key('#counters', 'a'), activeConnections: 1 },
      { ...key('#counters', 'a'), activeConnections: 1 },
    ]);
  });
});

describe('transactions', () => {
  test('all or nothing, every reason reported in item order, the old item of a failed check in wire form', () => {
    const m = model();
    put(m, { ...key('u', 'a'), v: 1 });
    const error = errorOf(() =>
      m.apply(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: C, Item: { ...key('u', 'b'), v: 1 } } },
            {
              ConditionCheck: {
                TableName: C,
                Key: key('u', 'a'),
                ConditionExpression: 'v = :v',
                ExpressionAttributeValues: { ':v': 2 },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Update: {
                TableName: C,
                Key: key('u', 'c'),
                UpdateExpression: 'SET w = v + :one',
                ExpressionAttributeValues: { ':one': 1 },
              },
            },
          ],
        }),
      ),
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect(error.CancellationReasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: { userId: { S: 'u' }, applicationId: { S: 'a' }, v: { N: '1' } },
      },
      {
        Code: 'ValidationError',
        Message: 'The provided expression refers to an attribute that does not exist in the item',
      },
    ]);
    expect(m.items(C)).toEqual([{ ...key('u', 'a'), v: 1 }]);
  });

  test('conditions see the state before the transaction', () => {
    const m = model();
    m.apply(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: C,
              Item: { ...key('u', 'a'), v: 1 },
              ConditionExpression: 'attribute_not_exists(userId)',
            },
          },
          { ConditionCheck: { TableName: C, Key: key('u', 'b'), ConditionExpression: 'attribute_not_exists(userId)' } },
        ],
      }),
    );
    expect(m.items(C)).toHaveLength(1);
  });
});

describe('DynamoDB behaviour moto does not have', () => {
  test('unused ExpressionAttributeValues are refused in every request', () => {
    const m = model();
    const e = errorOf(() =>
      m.apply(
        new PutCommand({
          TableName: C,
          Item: key('u', 'a'),
          ConditionExpression: 'attribute_not_exists(userId)',
          ExpressionAttributeValues: { ':x': 1, ':y': 2 },
        }),
      ),
    );
    expect(e.name).toBe('ValidationException');
    expect(e.message).toBe('Value provided in ExpressionAttributeValues unused in expressions: keys: {:x, :y}');
  });

  test('UPDATED_OLD / UPDATED_NEW return the named paths, changed or not', () => {
    const m = model();
    put(m, { ...key('u', 'a'), n: 1, m: { x: 1, y: 2 }, l: [1, 2, 3] });
    const update = (expr: string, rv: 'UPDATED_OLD' | 'UPDATED_NEW'): unknown =>
      m.apply(
        new UpdateCommand({
          TableName: C,
          Key: key('u', 'a'),
          UpdateExpression: expr,
          ExpressionAttributeValues: { ':v': 1 },
          ReturnValues: rv,
        }),
      ).Attributes;
    expect(update('SET n = :v', 'UPDATED_NEW')).toEqual({ n: 1 });
    expect(update('SET m.x = :v, l[2] = :v', 'UPDATED_OLD')).toEqual({ m: { x: 1 }, l: [3] });
    expect(update('SET m.z = :v REMOVE l[0]', 'UPDATED_NEW')).toEqual({ m: { z: 1 }, l: [2] });
  });

  test('a page ending exactly at the last item still has a LastEvaluatedKey; the next page is empty', () => {
    const m = model();
    for (const app of ['a', 'b']) put(m, key('u', app));
    const q = (start?: Record<string, unknown>): Record<string, unknown> =>
      m.apply(
        new QueryCommand({
          TableName: C,
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': 'u' },
          Limit: 2,
          ExclusiveStartKey: start,
        }),
      );
    const first = q();
    expect(first.LastEvaluatedKey).toEqual(key('u', 'b'));
    expect(q(first.LastEvaluatedKey as Record<string, unknown>)).toMatchObject({ Count: 0, Items: [] });
  });

  test('a page ends after 1 MB read; an item is at most 400 KB', () => {
    const m = model();
    const blob = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 5; i++) put(m, { ...key('u', `a${i}`), blob });
    const page = m.apply(
      new QueryCommand({
        TableName: C,
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': 'u' },
      }),
    );
    expect(page).toMatchObject({ Count: 4, LastEvaluatedKey: key('u', 'a3') });
    expect(errorOf(() => put(m, { ...key('u', 'big'), blob: 'x'.repeat(400 * 1024) })).message).toBe(
      'Item size has exceeded the maximum allowed size',
    );
  });

  test('sparse index: entries follow their keys, equal sort keys order by the table keys', () => {
    const m = model();
    put(m, { ...key('u2', 'a'), dueShard: '1', refreshDueAt: 5 });
    put(m, { ...key('u1', 'b'), dueShard: '1', refreshDueAt: 5 });
    put(m, { ...key('u1', 'a'), dueShard: '1', refreshDueAt: 5 });
    const due = (): unknown[] =>
      m.apply(
        new QueryCommand({
          TableName: C,
          IndexName: 'refresh-due',
          KeyConditionExpression: 'dueShard = :s',
          ExpressionAttributeValues: { ':s': '1' },
        }),
      ).Items as unknown[];
    expect(due()).toEqual([
      { ...key('u1', 'a'), dueShard: '1', refreshDueAt: 5 },
      { ...key('u1', 'b'), dueShard: '1', refreshDueAt: 5 },
      { ...key('u2', 'a'), dueShard: '1', refreshDueAt: 5 },
    ]);
    m.apply(new UpdateCommand({ TableName: C, Key: key('u1', 'a'), UpdateExpression: 'REMOVE dueShard' }));
    m.apply(
      new UpdateCommand({
        TableName: C,
        Key: key('u2', 'a'),
        UpdateExpression: 'SET refreshDueAt = :t',
        ExpressionAttributeValues: { ':t': 1 },
      }),
    );
    expect(due()).toEqual([
      { ...key('u2', 'a'), dueShard: '1', refreshDueAt: 1 },
      { ...key('u1', 'b'), dueShard: '1', refreshDueAt: 5 },
    ]);
  });
});

describe('SDK forms', () => {
  test('client-dynamodb commands get wire-form answers; the document client gets native values', () => {
    const m = model();
    put(m, { ...key('u', 'a'), n: 1 });
    expect(
      m.apply(new GetItemCommand({ TableName: C, Key: { userId: { S: 'u' }, applicationId: { S: 'a' } } })).Item,
    ).toEqual({ userId: { S: 'u' }, applicationId: { S: 'a' }, n: { N: '1' } });
    expect(
      m.apply(
        new WireQueryCommand({
          TableName: C,
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': { S: 'u' } },
        }),
      ).Items,
    ).toEqual([{ userId: { S: 'u' }, applicationId: { S: 'a' }, n: { N: '1' } }]);
    expect(
      m.apply(
        new QueryCommand({
          TableName: C,
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': 'u' },
        }),
      ).Items,
    ).toEqual([{ ...key('u', 'a'), n: 1 }]);
  });

  test('errors are the SDK exception classes, with the old item in wire form', () => {
    const m = model();
    put(m, { ...key('u', 'a'), n: 1 });
    const e = errorOf(() =>
      m.apply(
        new UpdateCommand({
          TableName: C,
          Key: key('u', 'a'),
          UpdateExpression: 'SET n = :n',
          ConditionExpression: 'n = :z',
          ExpressionAttributeValues: { ':n': 2, ':z': 0 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(e).toBeInstanceOf(ConditionalCheckFailedException);
    expect(e).toMatchObject({
      name: 'ConditionalCheckFailedException',
      $fault: 'client',
      Item: { userId: { S: 'u' }, applicationId: { S: 'a' }, n: { N: '1' } },
    });
    expect(errorOf(() => m.apply(new GetCommand({ TableName: 'nope', Key: key('u', 'a') }))).name).toBe(
      'ResourceNotFoundException',
    );
  });
});

test('throughput of simple conditional UpdateItem applications', () => {
  const m = model();
  put(m, { ...key('u', 'a'), version: 0, status: 'active' });
  const command = (i: number): UpdateCommand =>
    new UpdateCommand({
      TableName: C,
      Key: key('u', 'a'),
      UpdateExpression: 'SET #v = #v + :one, leaseOwner = :o',
      ConditionExpression: '#v = :cv AND #s = :active',
      ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
      ExpressionAttributeValues: { ':one': 1, ':o': `owner-${i}`, ':cv': i, ':active': 'active' },
    });
  // Commands are built outside the timed part (the SDK's constructor is not the model's cost), in batches.
  let applied = 0;
  let nanoseconds = 0n;
  for (let batch = 0; batch < 50; batch++) {
    const commands = Array.from({ length: 1000 }, () => command(applied++));
    const started = process.hrtime.bigint();
    for (const c of commands) m.apply(c);
    nanoseconds += process.hrtime.bigint() - started;
  }
  const perSecond = Math.round(applied / (Number(nanoseconds) / 1e9));
  console.log(`dynamodb-model: ${perSecond} conditional UpdateItem applications per second`);
  expect(m.get(C, key('u', 'a'))).toMatchObject({ version: applied });
  expect(perSecond).toBeGreaterThan(2_000); // a smoke bound: the figure itself is logged (and see dynamodb-bench.ts)
});
