/**
 * The audit trail (README "Audit trail"): one structured record per token handed out or changed, with the
 * function, qualifier, user, application, outcome and a keyed fingerprint of the token, never the token; and the
 * forwarder that copies the records into the audit log group (against moto's CloudWatch Logs).
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CloudWatchLogsClient, CreateLogGroupCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand } from '@aws-sdk/client-kms';
import { AUDIT_FORMAT, FINGERPRINT_KEY_ITEM } from '@token-vault/cdk/src/definitions/audit';
import { ENCRYPTION_CONTEXT_KEYS } from '@token-vault/cdk/src/definitions/encryption';
import { awsClientConfig } from '../../local/aws-clients';
import { LOG_DIR, registerSensitive } from '../support/leak-guard';
import { ageAccessToken, patchRecord } from '../support/refresh';
import { fakeContext, startVault, type Vault } from '../support/vault';

const logFile = join(LOG_DIR, `${process.pid}.log`);
const offset = (): number => (existsSync(logFile) ? statSync(logFile).size : 0);

/** Audit records written to this process's output since `from`. */
function auditRecords(from: number): Record<string, unknown>[] {
  return readFileSync(logFile)
    .subarray(from)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(`"audit":"${AUDIT_FORMAT}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let vault: Vault;
let start: number;
const tokens: string[] = [];

beforeAll(async () => {
  vault = await startVault({ sessionBinding: true });
  start = offset();
  await vault.connectUser('alice');
  for (let i = 0; i < 3; i++) {
    const answer = await vault.invoke('tokenFetch', { userId: 'alice' });
    expect(answer.ok).toBe(true);
    tokens.push(String(answer.accessToken));
  }
  const refreshed = await vault.invoke('refresh', { userId: 'alice' });
  expect(refreshed.ok).toBe(true);
  tokens.push(String(refreshed.accessToken));
  expect(await vault.invoke('revoke', { userId: 'alice', reason: 'user_disconnected' })).toMatchObject({
    ok: true,
    revoked: 1,
  });
  expect(await vault.invoke('tokenFetch', { userId: 'alice' })).toMatchObject({ ok: false });
}, 60_000);
afterAll(async () => vault?.close());

/** The fingerprint key, unwrapped from moto as an investigator with Decrypt under its context would. */
async function fingerprintKey(): Promise<Buffer> {
  const item = await vault.resources.ddb.send(
    new GetItemCommand({
      TableName: vault.resources.connectionsTable,
      Key: { userId: { S: FINGERPRINT_KEY_ITEM.userId }, applicationId: { S: FINGERPRINT_KEY_ITEM.applicationId } },
    }),
  );
  const wrapped = item.Item?.encryptedDataKey?.B;
  expect(wrapped).toBeInstanceOf(Uint8Array);
  const out = await vault.resources.kms.send(
    new DecryptCommand({
      CiphertextBlob: wrapped,
      KeyId: vault.resources.keyId,
      EncryptionContext: {
        [ENCRYPTION_CONTEXT_KEYS.USER_ID]: FINGERPRINT_KEY_ITEM.userId,
        [ENCRYPTION_CONTEXT_KEYS.APPLICATION_ID]: FINGERPRINT_KEY_ITEM.applicationId,
      },
    }),
  );
  return Buffer.from(out.Plaintext!);
}

describe('audit records', () => {
  it('one per token handed out or changed, with every field, in order', () => {
    const records = auditRecords(start);
    expect(records.map((r) => [r.functionName, r.outcome])).toEqual([
      ['callback', 'pending'],
      ['complete', 'connected'],
      ['token-fetch', 'served'],
      ['token-fetch', 'served'],
      ['token-fetch', 'served'],
      ['refresh', 'served'],
      ['revoke', 'revoked'],
      ['token-fetch', 'refused'],
    ]);
    for (const record of records) {
      // A revoke without applicationId revokes every application of the user: null.
      expect(record).toMatchObject({
        level: 'INFO',
        audit: AUDIT_FORMAT,
        userId: 'alice',
        applicationId: record.functionName === 'revoke' ? null : 'default',
        auditId: expect.any(String),
      });
      expect(Date.parse(String(record.timestamp))).not.toBeNaN();
      for (const field of ['qualifier', 'requestId', 'errorCode', 'accessTokenFingerprint'])
        expect(record).toHaveProperty(field);
    }
    expect(new Set(records.map((r) => r.auditId)).size).toBe(records.length);
    expect(records[6]).toMatchObject({ count: 1 });
    expect(records[7]).toMatchObject({ errorCode: 'not_connected', accessTokenFingerprint: null });
  });

  it('carry a keyed fingerprint of the token handed out, never the token', async () => {
    const key = await fingerprintKey();
    const served = auditRecords(start).filter((r) => r.outcome === 'served');
    expect(served).toHaveLength(tokens.length);
    served.forEach((record, i) => {
      const expected = `hmac1:${createHmac('sha256', key).update(`access_token\0${tokens[i]}`, 'utf8').digest('base64url').slice(0, 22)}`;
      expect(record.accessTokenFingerprint).toBe(expected);
    });
    // Same token, same fingerprint (the three fetches served one token); the refresh served another.
    expect(new Set(served.map((r) => r.accessTokenFingerprint)).size).toBe(new Set(tokens).size);
    const text = JSON.stringify(auditRecords(start));
    for (const token of tokens) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.slice(0, 16));
    }
    key.fill(0);
  });

  it('a storm of concurrent fetches writes exactly one record per token handed out', async () => {
    await vault.connectUser('bob');
    const from = offset();
    const answers = await Promise.all(Array.from({ length: 20 }, () => vault.invoke('tokenFetch', { userId: 'bob' })));
    expect(answers.every((a) => a.ok === true)).toBe(true);
    const records = auditRecords(from).filter((r) => r.functionName === 'token-fetch');
    expect(records).toHaveLength(20);
    expect(
      records.every(
        (r) => r.userId === 'bob' && r.outcome === 'served' && typeof r.accessTokenFingerprint === 'string',
      ),
    ).toBe(true);
  });

  it('a proactive refresh by the worker writes one record of the changed token', async () => {
    await vault.connectUser('carol');
    expect((await vault.invoke('tokenFetch', { userId: 'carol' })).ok).toBe(true);
    // One minute left (and used): the sweep enqueues it, the worker refreshes it.
    await ageAccessToken(vault, 'carol', 60_000);
    await patchRecord(vault, 'carol', { lastFetchedAt: Date.now() - 3_600_000 + 1000 });
    const from = offset();
    expect(await vault.sweep()).toMatchObject({ sweep: { enqueued: 1 }, received: 1, failed: 0 });
    const records = auditRecords(from).filter((r) => r.functionName === 'refresh-worker');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ userId: 'carol', applicationId: 'default', outcome: 'refreshed' });
  });

  it('an import writes one record of the changed connection, without any token material', async () => {
    const refreshToken = `imported-rt-${Date.now()}`;
    const accessToken = `imported-at-${Date.now()}`;
    registerSensitive(refreshToken, accessToken);
    const from = offset();
    const answer = await vault.invoke('importConnection', {
      userId: 'dave',
      refreshToken,
      validate: false,
      accessToken,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(answer).toMatchObject({ ok: true });
    const records = auditRecords(from).filter((r) => r.functionName === 'import');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ userId: 'dave', applicationId: 'default', outcome: 'imported' });
    expect(JSON.stringify(records)).not.toContain('imported-rt-');
  });

  it('names the alias a scoped caller came through, and records a refusal of another application', async () => {
    const from = offset();
    const context = {
      ...fakeContext('token-fetch'),
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:token-fetch:app-default',
    };
    const served = await vault.handlers.tokenFetch({ userId: 'bob' }, context);
    registerSensitive(String(served.accessToken));
    const refused = await vault.handlers.tokenFetch({ userId: 'bob', applicationId: 'crm' }, context);
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(auditRecords(from).map((r) => [r.qualifier, r.applicationId, r.outcome])).toEqual([
      ['app-default', 'default', 'served'],
      ['app-default', 'crm', 'refused'],
    ]);
  });
});

describe('audit forwarder', () => {
  it('copies the audit records of a subscription delivery into the audit log group, nothing else', async () => {
    const logs = new CloudWatchLogsClient(awsClientConfig(vault.resources.endpoint));
    const logGroupName = `/token-vault/${vault.resources.prefix}/audit`;
    await logs.send(new CreateLogGroupCommand({ logGroupName }));
    const audit = auditRecords(start).slice(0, 3);
    const delivery = {
      messageType: 'DATA_MESSAGE',
      owner: '000000000000',
      logGroup: '/aws/lambda/token-fetch',
      logStream: 'stream',
      subscriptionFilters: ['token-vault-audit'],
      logEvents: [
        ...audit.map((r, i) => ({
          id: String(i),
          timestamp: Date.parse(String(r.timestamp)) + i,
          message: JSON.stringify(r),
        })),
        { id: 'x', timestamp: Date.now(), message: '{"level":"INFO","message":"not an audit record"}' },
        { id: 'y', timestamp: Date.now(), message: 'plain text' },
      ],
    };
    process.env.TOKEN_VAULT_AUDIT_LOG_GROUP = logGroupName;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('@token-vault/cdk/functions/handlers/audit-forwarder') as {
      handler: (e: unknown) => Promise<{ forwarded: number }>;
    };
    const data = gzipSync(Buffer.from(JSON.stringify(delivery))).toString('base64');
    expect(await handler({ awslogs: { data } })).toEqual({ forwarded: 3 });
    // A control message (CloudWatch Logs checking the destination) forwards nothing.
    const control = gzipSync(Buffer.from(JSON.stringify({ ...delivery, messageType: 'CONTROL_MESSAGE' }))).toString(
      'base64',
    );
    expect(await handler({ awslogs: { data: control } })).toEqual({ forwarded: 0 });
    const day = new Date(Date.parse(String(audit[0]!.timestamp))).toISOString().slice(0, 10).replace(/-/g, '/');
    const events = await logs.send(
      new GetLogEventsCommand({ logGroupName, logStreamName: `${day}/token-fetch`, startFromHead: true }),
    );
    expect(events.events?.map((e) => JSON.parse(e.message!) as Record<string, unknown>)).toEqual(audit);
    logs.destroy();
  });
});
