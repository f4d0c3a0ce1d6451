/**
 * Proves, against the real moto server, each emulator behaviour the vault relies on, so a moto upgrade that
 * breaks one fails here with a clear name instead of deep inside a flow test.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DecryptCommand, DescribeKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ENCRYPTION_CONTEXT_KEYS } from '@token-vault/cdk/src/definitions/encryption';
import { CONNECTIONS_TABLE, RESERVED_KEYS, STATES_TABLE, TABLES } from '@token-vault/cdk/src/definitions/tables';
import { startEmulator } from '../../local/emulator';
import { clientSecretName, createTableInput, provisionResources, tableName } from '../../local/provision';
import { freshResources, type FreshResources } from '../support/aws';

let r: FreshResources;
const APPS = [
  { applicationId: 'default', clientSecret: 'default-client-secret' },
  { applicationId: 'acme:crm', clientSecret: 'acme-client-secret' },
];

beforeAll(async () => {
  r = await freshResources(APPS);
});
afterAll(() => r.close());

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('emulator harness', () => {
  test('reuses AWS_ENDPOINT_URL (set by globalSetup) without starting a server', async () => {
    const emulator = await startEmulator();
    expect(emulator).toMatchObject({ endpoint: process.env.AWS_ENDPOINT_URL, owned: false });
    await emulator.stop(); // no-op: the shared server must keep answering
    const res = await fetch(`${emulator.endpoint}/moto-api/`);
    expect(res.ok).toBe(true);
  });

  test('starts its own server when AWS_ENDPOINT_URL is unset, and stop() kills it', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL;
    try {
      const emulator = await startEmulator();
      expect(emulator.owned).toBe(true);
      expect(emulator.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulator.logFile).toBeDefined();
      const ddb = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: emulator.endpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      });
      await ddb.send(
        new CreateTableCommand({
          TableName: 'probe',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual(['probe']);
      // reset() empties this server only (not the shared one).
      await emulator.reset();
      expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      ddb.destroy();
      await emulator.stop();
      await expect(fetch(`${emulator.endpoint}/moto-api/`)).rejects.toThrow();
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  test('provisioning is idempotent: same prefix gives the same key, secret ARNs, bus and queues', async () => {
    const again = await provisionResources({ endpoint: r.endpoint, prefix: r.prefix, applications: APPS });
    expect(again).toEqual({
      connectionsTable: r.connectionsTable,
      statesTable: r.statesTable,
      keyId: r.keyId,
      secretIds: r.secretIds,
      refreshQueueUrl: r.refreshQueueUrl,
      refreshDeadLetterQueueUrl: r.refreshDeadLetterQueueUrl,
      eventBusArn: r.eventBusArn,
      eventRetryQueueUrl: r.eventRetryQueueUrl,
      eventDeadLetterQueueUrl: r.eventDeadLetterQueueUrl,
      eventTapQueueUrl: r.eventTapQueueUrl,
    });
  });
});

describe('(a) tables from the definitions', () => {
  test.each(TABLES.map((def) => [def.id, def] as const))('%s: keys, GSIs, billing and TTL', async (_id, def) => {
    const name = tableName(r.prefix, def);
    const { Table } = await r.ddb.send(new DescribeTableCommand({ TableName: name }));
    const expected = createTableInput(name, def);
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual(expected.KeySchema);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(new Set(Table?.AttributeDefinitions)).toEqual(new Set(expected.AttributeDefinitions));
    const gsis = (Table?.GlobalSecondaryIndexes ?? []).map((g) => ({
      IndexName: g.IndexName,
      KeySchema: g.KeySchema,
      Projection: { ProjectionType: g.Projection?.ProjectionType },
    }));
    expect(gsis).toEqual(
      def.globalSecondaryIndexes.map((g) => ({
        IndexName: g.indexName,
        KeySchema: [
          { AttributeName: g.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: g.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: g.projection },
      })),
    );
    const ttl = await r.ddb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: def.timeToLiveAttribute });
  });

  test('physical names are `${prefix}-${id}`', () => {
    expect(r.connectionsTable).toBe(`${r.prefix}-${CONNECTIONS_TABLE.id}`);
    expect(r.statesTable).toBe(`${r.prefix}-${STATES_TABLE.id}`);
  });
});

describe('(b) optimistic locking on `version`', () => {
  const key = { userId: 'u-lock', applicationId: 'default' };

  beforeAll(async () => {
    await r.doc.send(new PutCommand({ TableName: r.connectionsTable, Item: { ...key, version: 1, note: 'v1' } }));
  });

  test('a stale version fails with ConditionalCheckFailedException carrying the current item (ALL_OLD)', async () => {
    const err = await thrown(() =>
      r.doc.send(
        new UpdateCommand({
          TableName: r.connectionsTable,
          Key: key,
          UpdateExpression: 'SET version = :next, note = :note',
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': 0, ':next': 1, ':note': 'stale' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(err).toBeInstanceOf(ConditionalCheckFailedException);
    const ccf = err as ConditionalCheckFailedException;
    expect(ccf.name).toBe('ConditionalCheckFailedException');
    // The item comes back in raw AttributeValue form even through the document client.
    expect(ccf.Item).toEqual({
      userId: { S: 'u-lock' },
      applicationId: { S: 'default' },
      version: { N: '1' },
      note: { S: 'v1' },
    });
  });

  test('without ReturnValuesOnConditionCheckFailure the exception has no item', async () => {
    const err = await thrown(() =>
      r.doc.send(
        new UpdateCommand({
          TableName: r.connectionsTable,
          Key: key,
          UpdateExpression: 'SET version = :next',
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': 0, ':next': 1 },
        }),
      ),
    );
    expect(err).toBeInstanceOf(ConditionalCheckFailedException);
    expect((err as ConditionalCheckFailedException).Item).toBeUndefined();
  });

  test('the current version succeeds and ALL_NEW returns the new item', async () => {
    const out = await r.doc.send(
      new UpdateCommand({
        TableName: r.connectionsTable,
        Key: key,
        UpdateExpression: 'SET version = :next, note = :note',
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: { ':expected': 1, ':next': 2, ':note': 'v2' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(out.Attributes).toEqual({ ...key, version: 2, note: 'v2' });
  });
});

describe('(c) TransactWriteItems with a condition and an ADD counter', () => {
  const counterKey = { userId: RESERVED_KEYS.COUNTER_USER_ID, applicationId: 'default' };
  const connKey = { userId: 'u-tx', applicationId: 'default' };

  const transact = (expectedVersion: number) =>
    r.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: r.connectionsTable,
              Key: connKey,
              UpdateExpression: 'SET version = :next',
              ConditionExpression: 'attribute_not_exists(userId) OR version = :expected',
              ExpressionAttributeValues: { ':expected': expectedVersion, ':next': expectedVersion + 1 },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Update: {
              TableName: r.connectionsTable,
              Key: counterKey,
              UpdateExpression: 'ADD connections :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );

  test('commits both writes; ADD creates the counter item', async () => {
    await transact(0);
    await transact(1);
    const counter = await r.doc.send(
      new GetCommand({ TableName: r.connectionsTable, Key: counterKey, ConsistentRead: true }),
    );
    expect(counter.Item).toEqual({ ...counterKey, connections: 2 });
  });

  test('a failed condition cancels the whole transaction with per-item reasons', async () => {
    const err = await thrown(() => transact(0));
    expect(err).toBeInstanceOf(TransactionCanceledException);
    const cancelled = err as TransactionCanceledException;
    expect(cancelled.name).toBe('TransactionCanceledException');
    expect(cancelled.CancellationReasons?.map((c) => c.Code)).toEqual(['ConditionalCheckFailed', 'None']);
    // ALL_OLD on a transact item: the current item in the reason.
    expect(cancelled.CancellationReasons?.[0]?.Item).toEqual({
      userId: { S: 'u-tx' },
      applicationId: { S: 'default' },
      version: { N: '2' },
    });
    const counter = await r.doc.send(
      new GetCommand({ TableName: r.connectionsTable, Key: counterKey, ConsistentRead: true }),
    );
    expect(counter.Item?.connections).toBe(2); // the ADD was not applied
  });
});

describe('(d) sparse `refresh-due` GSI', () => {
  test('only items carrying dueShard appear, filtered by refreshDueAt <= :t, keys only', async () => {
    const put = (userId: string, extra: Record<string, unknown>) =>
      r.doc.send(
        new PutCommand({
          TableName: r.connectionsTable,
          Item: { userId, applicationId: 'app-d', secret: 'x', ...extra },
        }),
      );
    await put('due-early', { dueShard: '3', refreshDueAt: 100 });
    await put('due-late', { dueShard: '3', refreshDueAt: 900 });
    await put('not-due', { refreshDueAt: 50 }); // no dueShard: absent from the index
    await put('other-shard', { dueShard: '4', refreshDueAt: 10 });

    const out = await r.doc.send(
      new QueryCommand({
        TableName: r.connectionsTable,
        IndexName: 'refresh-due',
        KeyConditionExpression: 'dueShard = :s AND refreshDueAt <= :t',
        ExpressionAttributeValues: { ':s': '3', ':t': 500 },
      }),
    );
    expect(out.Items).toEqual([{ userId: 'due-early', applicationId: 'app-d', dueShard: '3', refreshDueAt: 100 }]);

    // Removing dueShard removes the item from the index.
    await r.doc.send(
      new UpdateCommand({
        TableName: r.connectionsTable,
        Key: { userId: 'due-early', applicationId: 'app-d' },
        UpdateExpression: 'REMOVE dueShard',
      }),
    );
    const after = await r.doc.send(
      new QueryCommand({
        TableName: r.connectionsTable,
        IndexName: 'refresh-due',
        KeyConditionExpression: 'dueShard = :s AND refreshDueAt <= :t',
        ExpressionAttributeValues: { ':s': '3', ':t': 1000 },
      }),
    );
    expect(after.Items?.map((i) => String(i.userId))).toEqual(['due-late']);
  });
});

describe('(e) KMS data keys with an encryption context', () => {
  const context = { [ENCRYPTION_CONTEXT_KEYS.USER_ID]: 'u-a', [ENCRYPTION_CONTEXT_KEYS.APPLICATION_ID]: 'default' };

  test('the key is a symmetric ENCRYPT_DECRYPT key reachable through its ARN', async () => {
    const { KeyMetadata } = await r.kms.send(new DescribeKeyCommand({ KeyId: r.keyId }));
    expect(KeyMetadata).toMatchObject({ Arn: r.keyId, KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT' });
  });

  test('GenerateDataKey AES_256 decrypts only under the same context', async () => {
    const dk = await r.kms.send(
      new GenerateDataKeyCommand({ KeyId: r.keyId, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    expect(dk.Plaintext).toHaveLength(32);
    expect(dk.KeyId).toBe(r.keyId);

    const ok = await r.kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(ok.Plaintext!).equals(Buffer.from(dk.Plaintext!))).toBe(true);
    expect(ok.KeyId).toBe(r.keyId);

    for (const wrong of [{ ...context, [ENCRYPTION_CONTEXT_KEYS.USER_ID]: 'u-b' }, {}]) {
      const err = await thrown(() =>
        r.kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: wrong })),
      );
      expect((err as Error).name).toBe('InvalidCiphertextException');
    }
  });
});

describe('(f) Secrets Manager', () => {
  test('GetSecretValue by ARN and by name returns the client secret as SecretString', async () => {
    for (const app of APPS) {
      const byArn = await r.secrets.send(new GetSecretValueCommand({ SecretId: r.secretIds[app.applicationId] }));
      expect(byArn.SecretString).toBe(app.clientSecret);
      const byName = await r.secrets.send(
        new GetSecretValueCommand({ SecretId: clientSecretName(r.prefix, app.applicationId) }),
      );
      expect(byName.ARN).toBe(r.secretIds[app.applicationId]);
    }
  });
});

describe('(g) single-use consumption: conditional DeleteItem with ALL_OLD', () => {
  test('the first delete returns the item, the second fails the condition', async () => {
    const key = { stateHash: 'h-1' };
    const item = { ...key, userId: 'u-g', expiresAtEpochSeconds: 4_000_000_000 };
    await r.doc.send(new PutCommand({ TableName: r.statesTable, Item: item }));
    const consume = () =>
      r.doc.send(
        new DeleteCommand({
          TableName: r.statesTable,
          Key: key,
          ConditionExpression: 'attribute_exists(stateHash) AND expiresAtEpochSeconds > :now',
          ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
          ReturnValues: 'ALL_OLD',
        }),
      );
    expect((await consume()).Attributes).toEqual(item);
    expect(await thrown(consume)).toBeInstanceOf(ConditionalCheckFailedException);
  });

  test('an expired (not yet TTL-deleted) state fails the condition and stays', async () => {
    const key = { stateHash: 'h-expired' };
    await r.doc.send(new PutCommand({ TableName: r.statesTable, Item: { ...key, expiresAtEpochSeconds: 1 } }));
    const err = await thrown(() =>
      r.doc.send(
        new DeleteCommand({
          TableName: r.statesTable,
          Key: key,
          ConditionExpression: 'attribute_exists(stateHash) AND expiresAtEpochSeconds > :now',
          ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    expect(err).toBeInstanceOf(ConditionalCheckFailedException);
    // moto never expires TTL items: readers must check expiry themselves (FIELD-NOTES "AWS facts").
    const still = await r.doc.send(new GetCommand({ TableName: r.statesTable, Key: key }));
    expect(still.Item).toBeDefined();
  });
});

describe('AWS_ENDPOINT_URL from the environment', () => {
  // The functions build clients with no endpoint; locally they must still reach moto through the env variable.
  test('clients built without an endpoint reach the emulator (one variable serves every service)', async () => {
    expect(process.env.AWS_ENDPOINT_URL).toBe(r.endpoint);
    const perService = Object.keys(process.env).filter((k) => k.startsWith('AWS_ENDPOINT_URL_'));
    expect(perService).toEqual([]);

    const ddb = new DynamoDBClient({});
    const kms = new KMSClient({});
    const secrets = new SecretsManagerClient({});
    try {
      // Describing the table is what matters here; the shared emulator holds more tables than one list page.
      const table = await ddb.send(new DescribeTableCommand({ TableName: r.connectionsTable }));
      expect(table.Table?.TableStatus).toBe('ACTIVE');
      const key = await kms.send(new DescribeKeyCommand({ KeyId: r.keyId }));
      expect(key.KeyMetadata?.Arn).toBe(r.keyId);
      const secret = await secrets.send(new GetSecretValueCommand({ SecretId: r.secretIds.default }));
      expect(secret.SecretString).toBe('default-client-secret');
    } finally {
      ddb.destroy();
      kms.destroy();
      secrets.destroy();
    }
  });

  test('AWS_ENDPOINT_URL_<SERVICE> overrides the shared one for that service only', async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:9'; // discard port: nothing listens
    const ddb = new DynamoDBClient({ maxAttempts: 1 });
    const kms = new KMSClient({});
    try {
      await expect(ddb.send(new ListTablesCommand({}))).rejects.toThrow(/ECONNREFUSED|connect/);
      await expect(kms.send(new DescribeKeyCommand({ KeyId: r.keyId }))).resolves.toBeDefined();
    } finally {
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      ddb.destroy();
      kms.destroy();
    }
  });
});

describe('test support', () => {
  test('scanAll returns raw AttributeValue items of every page', async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        r.doc.send(
          new PutCommand({ TableName: r.statesTable, Item: { stateHash: `scan-${n}`, pad: 'x'.repeat(40_000) } }),
        ),
      ),
    );
    const items = await r.scanAll(r.statesTable);
    // 30 x 40 KB exceeds one 1 MB Scan page, so this also covers pagination.
    expect(items.filter((i) => i.stateHash?.S?.startsWith('scan-'))).toHaveLength(30);
    expect(items.every((i) => typeof i.stateHash?.S === 'string')).toBe(true);
  });
});
