/**
 * Least privilege, checked against what the code does: each function's handlers are driven through their paths
 * (against the emulator and the development provider, as in test/functions/), every AWS request they send is
 * recorded (test/support/aws-requests.ts), and FUNCTION_ACCESS (src/definitions/access.ts) must grant exactly the
 * actions seen: an action never sent is a grant too wide, an action sent but not granted would be refused in AWS.
 *
 * Paths are chosen for the requests they add: each fingerprinting function (token-fetch, refresh) also makes the
 * audit fingerprint key once (its first use in a deployment), a reconnect without a new refresh token keeps the live
 * one, a revocation the provider does not confirm is retried by the worker, a queued event is put again by the sweep.
 * audit-forwarder is not driven: it sends no request FUNCTION_ACCESS covers (its log group is granted by the
 * construct), which the last test checks on its row.
 */
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { FUNCTION_ACCESS, FUNCTION_KEYS } from '@token-vault/cdk/src/definitions/access';
import { FINGERPRINT_KEY_ITEM } from '@token-vault/cdk/src/definitions/audit';
import type { FunctionKey } from '@token-vault/cdk/src/definitions/functions';
import { AwsRequestRecorder } from '../support/aws-requests';
import { granted, observe } from '../support/observed-access';
import { registerSensitive } from '../support/leak-guard';
import { ageAccessToken, expectOk, openStoredRefreshToken, patchRecord, sleep } from '../support/refresh';
import { RETURN_TO, startVault, type Vault } from '../support/vault';
import { makePendingRevocationsDue } from '../support/pending-revocations';
import { queueDepth, revokeThroughMissingBus } from '../support/events';

/**
 * How long the provider takes to answer the refresh a revoke races (the revoke lands meanwhile); below the test
 * vault's provider timeout (2 s).
 */
const RACE_DELAY_MS = 1500;

const recorder = new AwsRequestRecorder();
let direct: Vault;
let bound: Vault;

/** Makes the next fingerprinting function's container make the audit fingerprint key (a deployment's first use). */
async function forgetFingerprintKey(vault: Vault): Promise<void> {
  await vault.resources.doc.send(
    new DeleteCommand({ TableName: vault.resources.connectionsTable, Key: { ...FINGERPRINT_KEY_ITEM } }),
  );
}

async function accessTokenOf(vault: Vault, userId: string): Promise<string> {
  const answer = await vault.invoke('tokenFetch', { userId });
  expectOk(answer);
  registerSensitive(String(answer.accessToken));
  return String(answer.accessToken);
}

/** Until the worker holds the lease on `userId`'s connection (its refresh is at the provider). */
async function leaseTaken(vault: Vault, userId: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 25) {
    const { Item } = await vault.resources.doc.send(
      new GetCommand({
        TableName: vault.resources.connectionsTable,
        Key: { userId, applicationId: 'default' },
        ConsistentRead: true,
      }),
    );
    if (typeof Item?.leaseOwner === 'string') return;
    await sleep(25);
  }
  throw new Error(`no lease on ${userId}`);
}

/** The functions' paths with the callback's direct save (no session binding). */
async function driveDirectSave(vault: Vault): Promise<void> {
  await vault.connectUser('fa-user');
  await forgetFingerprintKey(vault);
  await accessTokenOf(vault, 'fa-user');

  // token-fetch refreshing an expired token, then refresh after a 401 (its container makes the fingerprint key).
  await ageAccessToken(vault, 'fa-user', -1000);
  const rejected = await accessTokenOf(vault, 'fa-user');
  await forgetFingerprintKey(vault);
  expectOk(await vault.invoke('refresh', { userId: 'fa-user', rejectedAccessToken: rejected }));
  expectOk(await vault.invoke('status', { userId: 'fa-user' }));

  // Refreshes the provider fails: token-fetch and refresh announce them (events).
  await vault.connectUser('fa-failing');
  await ageAccessToken(vault, 'fa-failing', -1000);
  await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 10_000 });
  expect(await vault.invoke('tokenFetch', { userId: 'fa-failing' })).toMatchObject({ ok: false });
  await vault.provider.clearFaults();
  await vault.connectUser('fa-failing-2');
  const refused = await accessTokenOf(vault, 'fa-failing-2');
  await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 10_000 });
  expect(await vault.invoke('refresh', { userId: 'fa-failing-2', rejectedAccessToken: refused })).toMatchObject({
    ok: false,
  });
  await vault.provider.clearFaults();

  // import: validated, then replacing the active connection without validation.
  await vault.connectUser('fa-source');
  const legacy = await openStoredRefreshToken(vault, 'fa-source');
  registerSensitive(legacy);
  expectOk(await vault.invoke('importConnection', { userId: 'fa-imported', refreshToken: legacy }));
  await vault.connectUser('fa-source-2');
  const legacy2 = await openStoredRefreshToken(vault, 'fa-source-2');
  registerSensitive(legacy2);
  expectOk(
    await vault.invoke('importConnection', {
      userId: 'fa-imported',
      refreshToken: legacy2,
      accessToken: 'imported-access-token',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      validate: false,
      replace: true,
    }),
  );

  // Code grants without a refresh token (Google without prompt=consent; the provider account fa-source-2 has had
  // one): a reconnect keeps the live one (opened: its data key was made by import), a new connection checks the
  // user's pending revocations first.
  await vault.provider.setQuirks({ refreshTokenOnFirstConsentOnly: true });
  await vault.connectUser('fa-imported', { loginHint: 'fa-source-2' });
  await vault.connectUser('fa-no-refresh-token', { loginHint: 'fa-source-2' }).catch(() => undefined);
  await vault.provider.setQuirks({});

  // The sweep: a due connection whose data key is too old to reuse, refreshed by the worker.
  await ageAccessToken(vault, 'fa-user', 60_000);
  await patchRecord(vault, 'fa-user', { dataKeyCreatedAt: 1 });
  await vault.sweep();

  // A revocation the provider does not confirm: pending, then confirmed by the worker.
  await vault.connectUser('fa-pending');
  await vault.provider.injectFault({ endpoint: 'revocation', mode: 'status', status: 503, count: 1 });
  expect(await vault.invoke('revoke', { userId: 'fa-pending', reason: 'suspicious_activity' })).toMatchObject({
    providerPending: 1,
  });
  expect(await makePendingRevocationsDue(vault, 'fa-pending')).toBeGreaterThan(0);
  await vault.sweep();

  // A revoke while the worker refreshes, and the provider refuses to revoke the rotated successor: the worker
  // records it as a pending revocation.
  await vault.connectUser('fa-racing');
  await accessTokenOf(vault, 'fa-racing'); // used: the proactive refresh covers it
  await ageAccessToken(vault, 'fa-racing', 60_000);
  await vault.provider.injectFault({ endpoint: 'token', mode: 'slow', delayMs: RACE_DELAY_MS });
  const sweeping = vault.sweep();
  await leaseTaken(vault, 'fa-racing');
  await vault.provider.injectFault({ endpoint: 'revocation', mode: 'status', status: 503, count: 2 });
  expectOk(await vault.invoke('revoke', { userId: 'fa-racing', reason: 'user_disconnected' }));
  await sweeping;
  await vault.provider.clearFaults();

  // An event the bus did not take waits in the retry queue; the sweep puts it again.
  const retryQueueDepth = () => queueDepth(vault.resources.endpoint, vault.resources.eventRetryQueueUrl);
  await vault.connectUser('fa-event');
  await revokeThroughMissingBus(vault, 'fa-event', 'user_disconnected');
  expect(await retryQueueDepth()).toBe(1);
  await vault.sweep();
  expect(await retryQueueDepth()).toBe(0);

  expectOk(await vault.invoke('revoke', { userId: 'fa-user', reason: 'user_disconnected' }));
}

/** The paths of session binding: parked tokens, completed by the right user, refused for another. */
async function driveSessionBinding(vault: Vault): Promise<void> {
  await vault.connectUser('fb-user');
  await vault.connectUser('fb-user');
  const started = await vault.invoke('connect', { userId: 'fb-victim', returnTo: RETURN_TO });
  const response = await vault.authorizeAndCallback(String(started.authorizationUrl), { loginHint: 'fb-victim' });
  const flowHandle = new URL(String(response.headers?.location)).searchParams.get('flow') ?? '';
  registerSensitive(flowHandle);
  const refused = await vault.invoke('complete', { flowHandle, userId: 'fb-mallory' });
  expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  // A used handle again: the claim finds no flow and reads back whether it was its own.
  const reused = await vault.invoke('complete', { flowHandle, userId: 'fb-victim' });
  expect(reused).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  // A parked flow without a refresh token: complete checks the user's pending revocations before saving.
  await vault.provider.setQuirks({ refreshTokenOnFirstConsentOnly: true });
  await vault.connectUser('fb-no-refresh-token', { loginHint: 'fb-user' }).catch(() => undefined);
  await vault.provider.setQuirks({});
}

beforeAll(async () => {
  recorder.install();
  direct = await startVault();
  recorder.attribute(direct.handlers);
  bound = await startVault({ sessionBinding: true });
  recorder.attribute(bound.handlers);
  await driveDirectSave(direct);
  await driveSessionBinding(bound);
}, 600_000);
afterAll(async () => {
  recorder.uninstall();
  await bound?.close();
  await direct?.close();
});

const DRIVEN = FUNCTION_KEYS.filter((key): key is Exclude<FunctionKey, 'auditForwarder'> => key !== 'auditForwarder');

describe('FUNCTION_ACCESS grants exactly what each function sends', () => {
  it.each(DRIVEN)('%s', (key) => {
    const observed = observe(recorder.requests(key), [direct, bound]);
    expect(observed).toEqual(granted(FUNCTION_ACCESS[key]));
  });

  it('audit-forwarder is granted nothing of the vault’s data, key, secrets or events', () => {
    expect(granted(FUNCTION_ACCESS.auditForwarder)).toEqual(observe([], []));
  });
});
