/**
 * Session binding (README "Session binding", threat model row 22): the callback parks the tokens and redirects
 * with `status=pending&flow=HANDLE`; only `complete` with the user who called `connect` makes the connection. A
 * link forwarded to someone else (Mallory starts, Alice consents) never becomes Mallory's connection: Alice's
 * application session completes it as Alice, which is refused, counted and revoked at the provider.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { flowKey } from '@token-vault/cdk/functions/core/store/flow-store';
import { LOG_DIR, registerSensitive } from '../support/leak-guard';
import { RETURN_TO, startVault, type Vault } from '../support/vault';

let vault: Vault;
const logFile = join(LOG_DIR, `${process.pid}.log`);

beforeAll(async () => {
  vault = await startVault({ sessionBinding: true });
});
afterAll(async () => vault?.close());

/** connect as `userId`, the provider login as `loginHint`, the callback: the redirect's status and handle. */
async function park(userId: string, loginHint = userId): Promise<{ status: string | null; flowHandle: string }> {
  const started = await vault.invoke('connect', { userId, returnTo: RETURN_TO });
  expect(started.ok).toBe(true);
  const response = await vault.authorizeAndCallback(String(started.authorizationUrl), { loginHint });
  expect(response.statusCode).toBe(302);
  expect(response.headers?.['referrer-policy']).toBe('no-referrer');
  const location = new URL(String(response.headers?.location));
  expect(`${location.origin}${location.pathname}`).toBe(RETURN_TO);
  const flowHandle = location.searchParams.get('flow') ?? '';
  registerSensitive(flowHandle);
  return { status: location.searchParams.get('status'), flowHandle };
}

async function connectionOf(userId: string): Promise<Record<string, unknown> | undefined> {
  const items = await vault.resources.scanAll(vault.resources.connectionsTable);
  return items.find((i) => i.userId?.S === userId && i.applicationId?.S === 'default');
}

async function pendingRevocationsOf(userId: string): Promise<Record<string, { S?: string; N?: string }>[]> {
  const items = await vault.resources.scanAll(vault.resources.connectionsTable);
  return items.filter((i) => i.userId?.S === userId && String(i.applicationId?.S).startsWith('#pending-revocation#'));
}

/** AuthorizationFailure EMF records written since `offset` of this process's captured output. */
function authorizationFailures(offset: number): { Reason: string; value: number }[] {
  const text = readFileSync(logFile).subarray(offset).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"AuthorizationFailure"'))
    .map((line) => JSON.parse(line) as { Reason: string; AuthorizationFailure: number })
    .map((r) => ({ Reason: r.Reason, value: r.AuthorizationFailure }));
}

const outputOffset = (): number => (existsSync(logFile) ? statSync(logFile).size : 0);

describe('session binding', () => {
  it('parks the tokens: pending redirect with a single-use handle, no connection, nothing readable in the tables', async () => {
    const { status, flowHandle } = await park('parked-user');
    expect(status).toBe('pending');
    expect(flowHandle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await connectionOf('parked-user')).toBeUndefined();
    expect(await vault.invoke('tokenFetch', { userId: 'parked-user' })).toMatchObject({
      ok: false,
      error: { code: 'not_connected' },
    });
    // The handle is stored only as a hash; the parked grant's revocation is recorded, due after the handle expires.
    const states = await vault.resources.scanAll(vault.resources.statesTable);
    expect(JSON.stringify(states)).not.toContain(flowHandle);
    expect(states.some((i) => i.stateHash?.S === flowKey(flowHandle))).toBe(true);
    const [companion] = await pendingRevocationsOf('parked-user');
    expect(Number(companion!.refreshDueAt!.N)).toBeGreaterThan(Date.now() + 4 * 60_000);
  });

  it('activates the connection for the user who called connect, once', async () => {
    const { flowHandle } = await park('bound-user');
    expect(await vault.invoke('complete', { flowHandle, userId: 'bound-user' })).toEqual({
      ok: true,
      applicationId: 'default',
      reconnected: false,
    });
    expect(await vault.invoke('tokenFetch', { userId: 'bound-user' })).toMatchObject({
      ok: true,
      accessToken: expect.any(String),
    });
    // The parked grant's pending revocation went with the activation: the sweep will never revoke a live token.
    expect(await pendingRevocationsOf('bound-user')).toEqual([]);
    expect(await vault.invoke('complete', { flowHandle, userId: 'bound-user' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });

  it('a link completed by another person never becomes a connection of the user who started it', async () => {
    await vault.provider.resetStats();
    const offset = outputOffset();
    // Mallory starts the flow for her own userId and gets Alice to open the link: Alice consents with her account.
    const { flowHandle } = await park('mallory', 'alice');
    // The redirect lands in Alice's browser: the application's backend completes it for its logged-in user, Alice.
    const refused = await vault.invoke('complete', { flowHandle, userId: 'alice' });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringContaining('another user') },
    });
    // Neither Mallory nor Alice has a connection; the grant was revoked at the provider; the handle is spent.
    expect(await connectionOf('mallory')).toBeUndefined();
    expect(await connectionOf('alice')).toBeUndefined();
    expect((await vault.provider.stats()).revocations).toBe(1);
    expect(await pendingRevocationsOf('mallory')).toEqual([]);
    expect(await vault.invoke('complete', { flowHandle, userId: 'mallory' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    expect(await vault.invoke('tokenFetch', { userId: 'mallory' })).toMatchObject({
      ok: false,
      error: { code: 'not_connected' },
    });
    // Counted as a failed authentication attempt (the callback-failure alarm's metric).
    expect(authorizationFailures(offset)).toEqual(expect.arrayContaining([{ Reason: 'session_mismatch', value: 1 }]));
  });

  it('refuses an expired handle and leaves the parked grant to the sweep', async () => {
    const { flowHandle } = await park('late-user');
    await vault.resources.ddb.send(
      new UpdateItemCommand({
        TableName: vault.resources.statesTable,
        Key: { stateHash: { S: flowKey(flowHandle) } },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': { N: String(Date.now() - 1000) } },
      }),
    );
    expect(await vault.invoke('complete', { flowHandle, userId: 'late-user' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringContaining('expired') },
    });
    expect(await connectionOf('late-user')).toBeUndefined();
    expect(await pendingRevocationsOf('late-user')).toHaveLength(1);
  });

  it('a revoke between the callback and complete ends the flow', async () => {
    const { flowHandle } = await park('revoked-user');
    expect(await vault.invoke('revoke', { userId: 'revoked-user', reason: 'suspicious_activity' })).toMatchObject({
      ok: true,
    });
    await vault.provider.resetStats();
    expect(await vault.invoke('complete', { flowHandle, userId: 'revoked-user' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    expect(await vault.invoke('tokenFetch', { userId: 'revoked-user' })).toMatchObject({
      ok: false,
      error: { code: 'not_connected' },
    });
    expect((await vault.provider.stats()).revocations).toBe(1);
  });

  it('connect needs a returnTo for a bound application', async () => {
    expect(await vault.invoke('connect', { userId: 'no-return' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringContaining('returnTo') },
    });
  });

  it('refuses a malformed or unknown handle without reading anything else', async () => {
    expect(await vault.invoke('complete', { flowHandle: 'short', userId: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    expect(await vault.invoke('complete', { flowHandle: 'A'.repeat(43), userId: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });

  it('connectUser of the test support completes the flow (the extra step), and a reconnect says so', async () => {
    await vault.connectUser('twice');
    await vault.connectUser('twice');
    expect(await vault.invoke('tokenFetch', { userId: 'twice' })).toMatchObject({ ok: true });
  });
});
