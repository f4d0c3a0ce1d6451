/**
 * Hand-written differential cases for Query (base table and the sparse GSIs), Scan, TransactWriteItems,
 * TransactGetItems and the batch operations. Reads marked `paginate` are followed page by page.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { QueryCommand as QueryItemsCommand } from '@aws-sdk/client-dynamodb';
import { deviates, expectOutput, expectValidation, key, MOTO_500, RICH, type Case } from './dynamodb-cases-items';
import type { Command, Pair } from './dynamodb-differential';

type Values = Record<string, unknown>;

/** Items spread over partitions, both indexes (sparse), equal index sort keys, and the states table. */
function seed(p: Pair): Command[] {
  const items: Values[] = [
    { ...key('u1', 'a1'), n: 1, s: 'x', dueShard: '0', refreshDueAt: 30, recordKind: 'revocation', recordedAt: 'r2' },
    { ...key('u1', 'a2'), n: 2, s: 'y', dueShard: '0', refreshDueAt: 10 },
    { ...key('u1', 'a3'), n: 3, s: 'x', dueShard: '1', refreshDueAt: 10 },
    { ...key('u1', 'a4'), n: 4, s: 'y' },
    { ...key('u1', 'b1'), n: 5, s: 'x', dueShard: '0', refreshDueAt: 10, recordKind: 'revocation', recordedAt: 'r2' },
    { ...key('u2', 'a1'), n: 6, s: 'y', dueShard: '0', refreshDueAt: 20, recordKind: 'revocation', recordedAt: 'r1' },
    { ...key('u0', 'a9'), n: 7, s: 'x', dueShard: '0', refreshDueAt: 10 },
    { ...key('#counters', 'app'), activeConnections: 2 },
  ];
  return [
    ...items.map((Item) => new PutCommand({ TableName: p.c, Item })),
    new PutCommand({ TableName: p.s, Item: { stateHash: 'h1', userId: 'u1', expiresAt: 5 } }),
    new PutCommand({ TableName: p.s, Item: { stateHash: 'h2', userId: 'u2', expiresAt: 6 } }),
  ];
}

function query(name: string, input: Values, paginate = false): Case {
  return { name: `query ${name}`, setup: seed, paginate, run: (p) => [new QueryCommand({ TableName: p.c, ...input })] };
}

const base = (cond: string, values: Values, extra: Values = {}): Values => ({
  KeyConditionExpression: `userId = :u${cond ? ` AND ${cond}` : ''}`,
  ExpressionAttributeValues: { ':u': 'u1', ...values },
  ...extra,
});
const due = (extra: Values = {}): Values => ({
  IndexName: 'refresh-due',
  KeyConditionExpression: 'dueShard = :s AND refreshDueAt <= :t',
  ExpressionAttributeValues: { ':s': '0', ':t': 25 },
  ...extra,
});

const QUERIES: Case[] = [
  query('partition', base('', {})),
  query('sort key =', base('applicationId = :a', { ':a': 'a2' })),
  query('sort key <', base('applicationId < :a', { ':a': 'a3' })),
  query('sort key <=', base('applicationId <= :a', { ':a': 'a3' })),
  query('sort key >', base('applicationId > :a', { ':a': 'a2' })),
  query('sort key >=', base('applicationId >= :a', { ':a': 'a2' })),
  query('sort key BETWEEN', base('applicationId BETWEEN :a AND :b', { ':a': 'a2', ':b': 'a4' })),
  query('sort key begins_with', base('begins_with(applicationId, :p)', { ':p': 'a' })),
  query('sort key condition first', {
    KeyConditionExpression: 'applicationId > :a AND userId = :u',
    ExpressionAttributeValues: { ':u': 'u1', ':a': 'a2' },
  }),
  query('parenthesised key condition', {
    KeyConditionExpression: '(userId = :u) AND (applicationId > :a)',
    ExpressionAttributeValues: { ':u': 'u1', ':a': 'a2' },
  }),
  query('with names', {
    KeyConditionExpression: '#pk = :u',
    ExpressionAttributeNames: { '#pk': 'userId' },
    ExpressionAttributeValues: { ':u': 'u1' },
    ConsistentRead: true,
  }),
  query('backwards', base('', {}, { ScanIndexForward: false })),
  query('Limit 2, paged', base('', {}, { Limit: 2 }), true),
  query(
    'Limit 2 backwards, paged',
    base('applicationId > :a', { ':a': 'a1' }, { Limit: 2, ScanIndexForward: false }),
    true,
  ),
  query('Limit and filter, paged', base('', { ':x': 'x' }, { Limit: 2, FilterExpression: 's = :x' }), true),
  query('filter', base('', { ':n': 2 }, { FilterExpression: 'n > :n' })),
  query('projection', base('', {}, { ProjectionExpression: 'applicationId, n' })),
  query('Select COUNT', base('', {}, { Select: 'COUNT' })),
  query('missing partition', base('', { ':u': 'nobody' })),
  query('counters', {
    KeyConditionExpression: '#pk = :c',
    ExpressionAttributeNames: { '#pk': 'userId' },
    ExpressionAttributeValues: { ':c': '#counters' },
    ConsistentRead: true,
  }),
  query('due (the sweep)', due()),
  query('due Limit 1, paged', due({ Limit: 1 }), true),
  query('due Limit 2, paged', due({ Limit: 2 }), true),
  query('due Limit 3, paged', due({ Limit: 3 }), true),
  query('due backwards Limit 2, paged', due({ Limit: 2, ScanIndexForward: false }), true),
  query('due BETWEEN', {
    IndexName: 'refresh-due',
    KeyConditionExpression: 'dueShard = :s AND refreshDueAt BETWEEN :a AND :b',
    ExpressionAttributeValues: { ':s': '0', ':a': 10, ':b': 20 },
  }),
  query('due shard only', {
    IndexName: 'refresh-due',
    KeyConditionExpression: 'dueShard = :s',
    ExpressionAttributeValues: { ':s': '1' },
  }),
  query(
    'due with a filter on a key',
    due({ FilterExpression: 'userId = :f', ExpressionAttributeValues: { ':s': '0', ':t': 25, ':f': 'u1' } }),
  ),
  query('due with a projection', due({ ProjectionExpression: 'userId, refreshDueAt' })),
  query(
    'records Limit 1, paged',
    {
      IndexName: 'records-by-kind',
      KeyConditionExpression: 'recordKind = :k',
      ExpressionAttributeValues: { ':k': 'revocation' },
      Limit: 1,
    },
    true,
  ),
  query('records backwards', {
    IndexName: 'records-by-kind',
    KeyConditionExpression: 'recordKind = :k',
    ExpressionAttributeValues: { ':k': 'revocation' },
    ScanIndexForward: false,
  }),
  query('records Select ALL_ATTRIBUTES', {
    IndexName: 'records-by-kind',
    KeyConditionExpression: 'recordKind = :k',
    ExpressionAttributeValues: { ':k': 'revocation' },
    Select: 'ALL_ATTRIBUTES',
  }),
  deviates(
    query('OR in the key condition', {
      KeyConditionExpression: 'userId = :u OR applicationId = :a',
      ExpressionAttributeValues: { ':u': 'u1', ':a': 'a1' },
    }),
    MOTO_500,
    expectValidation,
  ),
  query('no partition key condition', {
    KeyConditionExpression: 'applicationId = :a',
    ExpressionAttributeValues: { ':a': 'a1' },
  }),
  query('partition key with <', { KeyConditionExpression: 'userId < :u', ExpressionAttributeValues: { ':u': 'u1' } }),
  query('non-key attribute in the key condition', base('n = :x', { ':x': 1 })),
  deviates(
    query('partition key of the wrong type', base('', { ':u': 5 })),
    'moto answers no items; DynamoDB: "Condition parameter type does not match schema type"',
    expectValidation,
  ),
  deviates(query('Limit 0', base('', {}, { Limit: 0 })), MOTO_500, expectValidation),
  deviates(
    query('unknown index', {
      IndexName: 'nope',
      KeyConditionExpression: 'a = :a',
      ExpressionAttributeValues: { ':a': 'x' },
    }),
    'moto answers ResourceNotFoundException; DynamoDB: ValidationException "The table does not have the specified index"',
    expectValidation,
  ),
  query('ConsistentRead on a GSI', due({ ConsistentRead: true })),
  query('Select COUNT with a projection', base('', {}, { Select: 'COUNT', ProjectionExpression: 'n' })),
  query('Select SPECIFIC_ATTRIBUTES without a projection', base('', {}, { Select: 'SPECIFIC_ATTRIBUTES' })),
  deviates(
    query('ExclusiveStartKey missing the sort key', base('', {}, { ExclusiveStartKey: { userId: 'u1' } })),
    MOTO_500,
    expectValidation,
  ),
  query('ExclusiveStartKey inside the range', base('', {}, { ExclusiveStartKey: key('u1', 'a2') })),
  query('ExclusiveStartKey of a missing item', base('', {}, { ExclusiveStartKey: key('u1', 'a25') })),
  query('due ExclusiveStartKey', due({ ExclusiveStartKey: { ...key('u0', 'a9'), dueShard: '0', refreshDueAt: 10 } })),
  deviates(
    query('filter on the sort key', base('', { ':a': 'a1' }, { FilterExpression: 'applicationId = :a' })),
    'moto filters on the key attribute; DynamoDB: "Filter Expression can only contain non-primary key attributes"',
    expectValidation,
  ),
  query('Select ALL_ATTRIBUTES on a KEYS_ONLY index', due({ Select: 'ALL_ATTRIBUTES' })),
  deviates(
    query(
      'due ExclusiveStartKey from another shard',
      due({ ExclusiveStartKey: { ...key('u1', 'a3'), dueShard: '1', refreshDueAt: 10 } }),
    ),
    'moto starts anywhere; DynamoDB: "The provided starting key is outside query boundaries based on provided conditions"',
    expectValidation,
  ),
  deviates(
    query('ExclusiveStartKey of another partition', base('', {}, { ExclusiveStartKey: key('u2', 'a1') })),
    'moto starts anywhere; DynamoDB: "The provided starting key is outside query boundaries based on provided conditions"',
    expectValidation,
  ),
  deviates(
    query('unused value', base('', { ':unused': 1 })),
    'moto only refuses unused ExpressionAttributeValues in UpdateItem; DynamoDB refuses them in every request',
    expectValidation,
  ),
  {
    name: 'query in wire form',
    setup: seed,
    run: (p) => [
      new QueryItemsCommand({
        TableName: p.c,
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': { S: 'u1' } },
        Limit: 2,
      }),
    ],
  },
];

function scan(name: string, table: 'c' | 's', input: Values, paginate = false): Case {
  return {
    name: `scan ${name}`,
    setup: seed,
    paginate,
    run: (p) => [new ScanCommand({ TableName: p[table], ...input })],
  };
}

const SCANS: Case[] = [
  scan('connections', 'c', {}),
  scan('states', 's', {}),
  scan('Limit 3, paged', 'c', { Limit: 3 }, true),
  scan(
    'filter and Limit, paged',
    'c',
    { Limit: 3, FilterExpression: 'n > :n', ExpressionAttributeValues: { ':n': 2 } },
    true,
  ),
  scan('projection', 'c', { ProjectionExpression: 'n, s' }),
  scan('Select COUNT', 'c', { Select: 'COUNT' }),
  scan('an index', 'c', { IndexName: 'refresh-due' }),
];

const counter = (p: Pair, delta: number): Values => ({
  Update: {
    TableName: p.c,
    Key: key('#counters', 'app'),
    UpdateExpression: 'ADD activeConnections :d',
    ExpressionAttributeValues: { ':d': delta },
  },
});
const transact = (name: string, items: (p: Pair) => Values[], extra: Partial<Case> = {}): Case => ({
  name: `transaction ${name}`,
  setup: seed,
  run: (p) => [new TransactWriteCommand({ TransactItems: items(p) })],
  ...extra,
});
const versioned = (p: Pair, n: number, set = 'SET s = :s'): Values => ({
  Update: {
    TableName: p.c,
    Key: key('u1', 'a1'),
    UpdateExpression: set,
    ConditionExpression: 'n = :n',
    ExpressionAttributeValues: { ':n': n, ':s': 'z' },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

const TRANSACTIONS: Case[] = [
  transact('of every kind', (p) => [
    {
      Put: { TableName: p.c, Item: { ...key('u3', 'a1'), n: 9 }, ConditionExpression: 'attribute_not_exists(userId)' },
    },
    versioned(p, 1),
    { Delete: { TableName: p.c, Key: key('u1', 'a2') } },
    {
      ConditionCheck: {
        TableName: p.c,
        Key: key('u1', 'a3'),
        ConditionExpression: 'n = :n',
        ExpressionAttributeValues: { ':n': 3 },
      },
    },
    counter(p, 1),
  ]),
  transact('with one failed condition', (p) => [
    counter(p, -1),
    versioned(p, 99),
    { Delete: { TableName: p.c, Key: key('u1', 'a2') } },
  ]),
  transact('with two failed conditions', (p) => [
    versioned(p, 99),
    {
      ConditionCheck: {
        TableName: p.c,
        Key: key('u9', 'a9'),
        ConditionExpression: 'attribute_exists(userId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    counter(p, 1),
  ]),
  transact('on one item twice', (p) => [versioned(p, 1), { Delete: { TableName: p.c, Key: key('u1', 'a1') } }]),
  transact('check of a missing item', (p) => [
    { ConditionCheck: { TableName: p.c, Key: key('u9', 'a9'), ConditionExpression: 'attribute_not_exists(userId)' } },
    counter(p, 5),
  ]),
  transact('with an unused name', (p) => [
    { ...versioned(p, 1), Update: { ...(versioned(p, 1).Update as Values), ExpressionAttributeNames: { '#x': 'x' } } },
  ]),
  transact('updating a key', (p) => [versioned(p, 1, 'SET applicationId = :s')]),
  transact('across both tables', (p) => [
    counter(p, 1),
    { Put: { TableName: p.s, Item: { stateHash: 'h3', userId: 'u3' } } },
    { Delete: { TableName: p.s, Key: { stateHash: 'h1' } } },
  ]),
  transact('revocation-shaped (update, record, counter)', (p) => [
    {
      Update: {
        TableName: p.c,
        Key: key('u1', 'a1'),
        UpdateExpression: 'SET #s0 = :s0, #s1 = :s1 REMOVE #r0, #r1, #r2',
        ConditionExpression: '#v = :cv',
        ExpressionAttributeNames: {
          '#v': 'n',
          '#s0': 'status',
          '#s1': 'revokedAt',
          '#r0': 'dueShard',
          '#r1': 'refreshDueAt',
          '#r2': 's',
        },
        ExpressionAttributeValues: { ':cv': 1, ':s0': 'revoked', ':s1': '2024' },
      },
    },
    {
      Put: {
        TableName: p.c,
        Item: {
          ...key('u1', '#revocation#2024#a1#1'),
          recordKind: 'revocation',
          recordedAt: '2024#u1#a1',
          revocation: { reason: 'r', providerConfirmed: true },
        },
      },
    },
    counter(p, -1),
  ]),
  deviates(
    transact('failing on the item data', (p) => [
      counter(p, 1),
      {
        Update: {
          TableName: p.c,
          Key: key('u1', 'a1'),
          UpdateExpression: 'SET n2 = s + :one',
          ConditionExpression: 'n = :n',
          ExpressionAttributeValues: { ':n': 1, ':one': 1 },
        },
      },
    ]),
    'moto raises a ValidationException; DynamoDB cancels the transaction with a ValidationError reason for that item',
    (outcomes) =>
      expect(outcomes[0]).toMatchObject({
        error: {
          name: 'TransactionCanceledException',
          CancellationReasons: [{ Code: 'None' }, { Code: 'ValidationError' }],
        },
      }),
  ),
  deviates(
    transact('putting an index key of the wrong type', (p) => [
      { Put: { TableName: p.c, Item: { ...key('u5', 'a5'), refreshDueAt: 'soon', dueShard: '0' } } },
    ]),
    'moto stores it; DynamoDB refuses it ("Type mismatch for Index Key")',
    expectValidation,
  ),
  deviates(
    transact('with an unused value', (p) => [
      {
        Delete: {
          TableName: p.c,
          Key: key('u1', 'a2'),
          ExpressionAttributeValues: { ':x': 1 },
          ConditionExpression: 'attribute_exists(userId)',
        },
      },
    ]),
    'moto only refuses unused ExpressionAttributeValues in UpdateItem; DynamoDB refuses them in every request',
    expectValidation,
  ),
  {
    name: 'transaction get',
    setup: seed,
    run: (p) => [
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: p.c, Key: key('u1', 'a1') } },
          { Get: { TableName: p.c, Key: key('u9', 'a9') } },
          { Get: { TableName: p.s, Key: { stateHash: 'h1' } } },
        ],
      }),
    ],
  },
  deviates(
    {
      name: 'transaction get with a projection',
      setup: seed,
      run: (p) => [
        new TransactGetCommand({
          TransactItems: [{ Get: { TableName: p.c, Key: key('u1', 'a1'), ProjectionExpression: 'n, dueShard' } }],
        }),
      ],
    },
    'moto ignores ProjectionExpression in TransactGetItems; DynamoDB applies it',
    expectOutput({ Responses: [{ Item: { n: 1, dueShard: '0' } }] }),
  ),
  {
    name: 'batch get and batch write',
    setup: seed,
    run: (p) => [
      new BatchWriteCommand({
        RequestItems: {
          [p.c]: [{ PutRequest: { Item: { ...key('u7', 'a1'), n: 1 } } }, { DeleteRequest: { Key: key('u1', 'a4') } }],
        },
      }),
      new BatchGetCommand({
        RequestItems: {
          [p.c]: { Keys: [key('u7', 'a1')] },
          [p.s]: { Keys: [{ stateHash: 'h2' }], ProjectionExpression: 'userId' },
        },
      }),
    ],
  },
  {
    name: 'rich item through a transaction',
    run: (p) => [
      new TransactWriteCommand({ TransactItems: [{ Put: { TableName: p.c, Item: RICH } }] }),
      new UpdateCommand({
        TableName: p.c,
        Key: key('u1', 'a1'),
        UpdateExpression: 'SET n = n + :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    ],
  },
];

export const QUERY_CASES: readonly Case[] = [...QUERIES, ...SCANS, ...TRANSACTIONS];
