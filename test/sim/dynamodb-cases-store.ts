/**
 * The commands the stores send (packages/cdk/functions/core/store: connection-store, lease-store, pending-revocations,
 * state-store), in their exact shapes, as one connection's life: state saved and consumed, connection saved
 * (transaction with the flows-marker check and the counter), lease taken / contended / extended / committed /
 * released with a cool-down, the sweep's paged `refresh-due` query, flows ended, reauthorization, revocation
 * (update + record + pending item + counter), the pending revocation confirmed, revocation records paged.
 * The shapes are copied rather than imported so this test does not move with the store's internals.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Case } from './dynamodb-cases-items';
import type { Command, Pair } from './dynamodb-differential';

type Item = Record<string, unknown>;
const COUNTERS = '#counters';
const FLOWS = '#flows';
const T0 = 1_700_000_000_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const k = (userId: string, applicationId: string): Item => ({ userId, applicationId });

/** The store's `updateExpression` helper: placeholders for every attribute, SET then REMOVE. */
function updateParts(
  set: Item,
  remove: readonly string[],
  condition: string,
  names: Record<string, string>,
  values: Item,
): Item {
  const n: Record<string, string> = { ...names };
  const v: Item = { ...values };
  const sets = Object.entries(set).map(([name, value], i) => {
    n[`#s${i}`] = name;
    v[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  const removes = [...new Set(remove)]
    .filter((name) => !(name in set))
    .map((name, i) => ((n[`#r${i}`] = name), `#r${i}`));
  return {
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: n,
    ExpressionAttributeValues: v,
  };
}

const tokens = (n: number): Item => ({
  encryptedDataKey: new Uint8Array([1, 2, n]),
  accessToken: new Uint8Array([3, 4, n]),
  refreshToken: new Uint8Array([5, 6, n]),
  tokenType: 'Bearer',
  scope: 'read write',
  accessTokenIssuedAt: T0 + n,
  accessTokenExpiresAt: T0 + n + 3_600_000,
  refreshTokenExpiresAt: undefined, // dropped by removeUndefinedValues, as the container configures it
});
const ACTIVE_ONLY = [
  'encryptedDataKey',
  'accessToken',
  'refreshToken',
  'tokenType',
  'scope',
  'accessTokenIssuedAt',
  'accessTokenExpiresAt',
  'refreshTokenExpiresAt',
  'leaseOwner',
  'leaseExpiresAt',
  'cooldownUntil',
  'lastErrorCode',
  'dueShard',
  'refreshDueAt',
];

function counter(p: Pair, app: string, delta: number): Item {
  return {
    Update: {
      TableName: p.c,
      Key: k(COUNTERS, app),
      UpdateExpression: 'ADD activeConnections :d',
      ExpressionAttributeValues: { ':d': delta },
    },
  };
}

function saveConnected(
  p: Pair,
  user: string,
  app: string,
  previousVersion: number | undefined,
  flowStartedAt: number,
  count: boolean,
): Command {
  const item = {
    ...k(user, app),
    status: 'active',
    version: (previousVersion ?? 0) + 1,
    connectedAt: iso(T0),
    updatedAt: iso(T0),
    lastRefreshAt: iso(T0),
    ...tokens(1),
    dueShard: '3',
    refreshDueAt: T0 + 100,
  };
  return new TransactWriteCommand({
    TransactItems: [
      {
        Put: {
          TableName: p.c,
          Item: item,
          ConditionExpression: previousVersion ? '#v = :v' : 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: previousVersion ? { '#v': 'version' } : { '#pk': 'userId' },
          ...(previousVersion ? { ExpressionAttributeValues: { ':v': previousVersion } } : {}),
        },
      },
      {
        ConditionCheck: {
          TableName: p.c,
          Key: k(user, FLOWS),
          ConditionExpression:
            '(attribute_not_exists(#app) OR #app < :started) AND (attribute_not_exists(#all) OR #all < :started)',
          ExpressionAttributeNames: { '#app': `notBefore:${app}`, '#all': 'notBefore:*' },
          ExpressionAttributeValues: { ':started': flowStartedAt },
        },
      },
      ...(count ? [counter(p, app, +1)] : []),
    ],
  });
}

const acquire = (p: Pair, version: number, owner: string, now: number): Command =>
  new UpdateCommand({
    TableName: p.c,
    Key: k('u1', 'app'),
    UpdateExpression: 'SET leaseOwner = :o, leaseExpiresAt = :exp',
    ConditionExpression: '#v = :v AND #s = :active AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
    ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
    ExpressionAttributeValues: { ':o': owner, ':exp': now + 25_000, ':v': version, ':active': 'active', ':now': now },
  });

const commit = (p: Pair, version: number, owner: string, withRefreshToken: boolean): Command => {
  const t = tokens(version + 1);
  if (!withRefreshToken) delete t.refreshToken;
  const set = {
    ...t,
    ...(withRefreshToken ? { dueShard: '3', refreshDueAt: T0 + 200 } : {}),
    updatedAt: iso(T0 + 5),
    lastRefreshAt: iso(T0 + 5),
    version: version + 1,
  };
  const remove = [
    'leaseOwner',
    'leaseExpiresAt',
    'cooldownUntil',
    'lastErrorCode',
    'refreshTokenExpiresAt',
    'refreshTokenExpiryAssumed',
    ...(withRefreshToken ? [] : ['refreshToken', 'dueShard', 'refreshDueAt']),
  ];
  for (const key of Object.keys(set)) if ((set as Item)[key] === undefined) delete (set as Item)[key];
  return new UpdateCommand({
    TableName: p.c,
    Key: k('u1', 'app'),
    ...updateParts(
      set,
      remove,
      '#v = :cv AND leaseOwner = :owner',
      { '#v': 'version' },
      { ':cv': version, ':owner': owner },
    ),
    ReturnValues: 'ALL_NEW',
  } as never);
};

const queryDue = (p: Pair, shard: string, dueBy: number, limit: number): Command =>
  new QueryCommand({
    TableName: p.c,
    IndexName: 'refresh-due',
    KeyConditionExpression: 'dueShard = :s AND refreshDueAt <= :t',
    ExpressionAttributeValues: { ':s': shard, ':t': dueBy },
    Limit: limit,
    ExclusiveStartKey: undefined,
  });

function lifecycle(p: Pair): Command[] {
  const stateItem = {
    stateHash: 'h',
    userId: 'u1',
    applicationId: 'app',
    codeVerifier: 'v',
    scopes: ['read'],
    createdAt: T0,
    expiresAt: T0 + 600_000,
    expiresAtEpochSeconds: Math.ceil((T0 + 600_000) / 1000),
    returnTo: undefined,
  };
  const saveState = new PutCommand({
    TableName: p.s,
    Item: stateItem,
    ConditionExpression: 'attribute_not_exists(#pk)',
    ExpressionAttributeNames: { '#pk': 'stateHash' },
  });
  const consume = new DeleteCommand({
    TableName: p.s,
    Key: { stateHash: 'h' },
    ConditionExpression: 'attribute_exists(#pk)',
    ExpressionAttributeNames: { '#pk': 'stateHash' },
    ReturnValues: 'ALL_OLD',
  });
  const release = new UpdateCommand({
    TableName: p.c,
    Key: k('u1', 'app'),
    UpdateExpression:
      'SET cooldownUntil = :c, lastErrorCode = :e, updatedAt = :u, refreshDueAt = :c REMOVE leaseOwner, leaseExpiresAt',
    ConditionExpression: '#v = :v AND leaseOwner = :o',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: {
      ':c': T0 + 30_000,
      ':e': 'provider_unavailable',
      ':u': iso(T0 + 6),
      ':v': 2,
      ':o': 'owner-2',
    },
  });
  const endFlows = (app: string, at: number): Item => ({
    Update: {
      TableName: p.c,
      Key: k('u1', FLOWS),
      UpdateExpression: 'SET #a = :now',
      ExpressionAttributeNames: { '#a': `notBefore:${app}` },
      ExpressionAttributeValues: { ':now': at },
    },
  });
  const reauthorization = new TransactWriteCommand({
    TransactItems: [
      {
        Update: {
          TableName: p.c,
          Key: k('u2', 'app'),
          ...updateParts(
            {
              status: 'reauthorization_required',
              reauthorizationReason: 'invalid_grant',
              reauthorizationAt: iso(T0 + 7),
              updatedAt: iso(T0 + 7),
              version: 2,
            },
            ACTIVE_ONLY,
            '#v = :cv AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now OR leaseOwner = :me)',
            { '#v': 'version' },
            { ':cv': 1, ':now': T0 + 7, ':me': '-' },
          ),
        },
      },
      counter(p, 'app', -1),
    ],
  });
  const recordKey = `#revocation#${iso(T0 + 8)}#app#3`;
  const pendingKey = '#pending-revocation#app#3';
  const revoke = new TransactWriteCommand({
    TransactItems: [
      {
        Update: {
          TableName: p.c,
          Key: k('u1', 'app'),
          ...updateParts(
            { status: 'revoked', revokedAt: iso(T0 + 8), revocationReason: 'user', updatedAt: iso(T0 + 8), version: 4 },
            [...ACTIVE_ONLY, 'reauthorizationReason', 'reauthorizationAt'],
            '#v = :cv',
            { '#v': 'version' },
            { ':cv': 3 },
          ),
        },
      },
      {
        Put: {
          TableName: p.c,
          Item: {
            ...k('u1', recordKey),
            recordKind: 'revocation',
            recordedAt: `${iso(T0 + 8)}#u1#app`,
            revocation: {
              userId: 'u1',
              applicationId: 'app',
              revokedAt: iso(T0 + 8),
              reason: 'user',
              providerConfirmed: false,
            },
            expiresAtEpochSeconds: 1_731_536_000,
          },
        },
      },
      endFlows('app', T0 + 8),
      {
        Put: {
          TableName: p.c,
          Item: {
            ...k('u1', pendingKey),
            encryptedDataKey: new Uint8Array([1]),
            refreshToken: new Uint8Array([2]),
            reason: 'user',
            attempts: 0,
            dueShard: '3',
            refreshDueAt: T0 + 8,
            recordKey,
          },
        },
      },
      counter(p, 'app', -1),
    ],
  });
  const reschedule = new UpdateCommand({
    TableName: p.c,
    Key: k('u1', pendingKey),
    UpdateExpression: 'SET attempts = :a, refreshDueAt = :next',
    ConditionExpression: 'attempts = :prev',
    ExpressionAttributeValues: { ':a': 1, ':next': T0 + 60_000, ':prev': 0 },
  });
  const confirm = new TransactWriteCommand({
    TransactItems: [
      { Delete: { TableName: p.c, Key: k('u1', pendingKey) } },
      {
        Update: {
          TableName: p.c,
          Key: k('u1', recordKey),
          UpdateExpression: 'SET revocation.providerConfirmed = :t, providerConfirmedAt = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'userId' },
          ExpressionAttributeValues: { ':t': true, ':at': iso(T0 + 9) },
        },
      },
    ],
  });
  const records = (cursor?: Item): Command =>
    new QueryCommand({
      TableName: p.c,
      IndexName: 'records-by-kind',
      KeyConditionExpression: 'recordKind = :k',
      ExpressionAttributeValues: { ':k': 'revocation' },
      Limit: 1,
      ExclusiveStartKey: cursor,
    });
  return [
    saveState,
    saveState,
    consume,
    consume,
    saveConnected(p, 'u1', 'app', undefined, T0, true),
    saveConnected(p, 'u1', 'app', undefined, T0, true),
    saveConnected(p, 'u2', 'app', undefined, T0, true),
    saveConnected(p, 'u1', 'app', 7, T0, false),
    new GetItemCommand({ TableName: p.c, Key: marshall(k('u1', 'app')), ConsistentRead: true }),
    new GetCommand({ TableName: p.c, Key: k('u1', 'app'), ConsistentRead: true }),
    acquire(p, 1, 'owner-1', T0),
    acquire(p, 1, 'owner-2', T0 + 1),
    new UpdateCommand({
      TableName: p.c,
      Key: k('u1', 'app'),
      UpdateExpression: 'SET leaseExpiresAt = :exp',
      ConditionExpression: '#v = :v AND leaseOwner = :o',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':exp': T0 + 40_000, ':v': 1, ':o': 'owner-1' },
    }),
    commit(p, 1, 'owner-2', true),
    commit(p, 1, 'owner-1', true),
    acquire(p, 2, 'owner-2', T0 + 3),
    release,
    queryDue(p, '3', T0 + 1_000_000, 1),
    queryDue(p, '3', T0 + 1_000_000, 2),
    queryDue(p, '3', T0 + 50, 5),
    acquire(p, 2, 'owner-3', T0 + 40_000),
    commit(p, 2, 'owner-3', false),
    new TransactWriteCommand({ TransactItems: [endFlows('*', T0 + 10)] }),
    saveConnected(p, 'u1', 'other', undefined, T0 + 5, true),
    reauthorization,
    reauthorization,
    revoke,
    reschedule,
    reschedule,
    confirm,
    records(),
    records({ userId: 'u1', applicationId: recordKey, recordKind: 'revocation', recordedAt: `${iso(T0 + 8)}#u1#app` }),
    new QueryCommand({
      TableName: p.c,
      KeyConditionExpression: '#pk = :c',
      ExpressionAttributeNames: { '#pk': 'userId' },
      ExpressionAttributeValues: { ':c': COUNTERS },
      ConsistentRead: true,
    }),
    new QueryCommand({
      TableName: p.c,
      KeyConditionExpression: '#pk = :u',
      ExpressionAttributeNames: { '#pk': 'userId' },
      ExpressionAttributeValues: { ':u': 'u1' },
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
      Limit: 2,
    }),
  ];
}

export const STORE_CASES: readonly Case[] = [
  { name: "a connection's life, in the stores' own commands", run: lifecycle, paginate: true },
];
