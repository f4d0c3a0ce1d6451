/**
 * A lease holder that dies mid-refresh (SIGKILL while its provider call hangs, like a Lambda container that
 * vanishes): its lease blocks refreshes only until it expires; then another caller takes over, refreshes once
 * and stores the rotated token, so the user stays logged in.
 */
import { RefreshCoordinator } from '../../functions/core/refresh/coordinator';
import { registerSensitive } from '../support/leak-guard';
import { ageAccessToken, expectOk, expectSameToken, sleep, startWorker, storedRecord } from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  // A short lease (one 1-second provider call + the write fits) so that the takeover happens within the test.
  vault = await startVault({ env: { TOKEN_VAULT_REFRESH_LEASE_SECONDS: '3', TOKEN_VAULT_PROVIDER_TIMEOUT_MS: '1000', TOKEN_VAULT_REFRESH_WAIT_SECONDS: '6' } });
});
afterAll(async () => vault.close());

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

it('a holder killed while its provider call hangs: waiters take over after the lease expires and the rotated token is kept', async () => {
  await vault.connectUser('crash');
  await ageAccessToken(vault, 'crash', -1000);
  const before = (await storedRecord(vault, 'crash'))!;
  await vault.provider.resetStats();
  await vault.provider.injectFault({ endpoint: 'token', mode: 'hang' });

  const holder = startWorker(vault.env, { userId: 'crash', concurrency: 1, waitForGo: false });
  const leased = await until('the lease', async () => {
    const record = await storedRecord(vault, 'crash');
    return record?.leaseOwner !== undefined ? record : undefined;
  });
  // The holder's refresh request is at the provider (and hangs there): kill the holder now.
  await until('the hanging request', async () => ((await vault.provider.stats()).tokenRequests === 1 ? true : undefined));
  const waiting = Promise.all(Array.from({ length: 10 }, () => vault.invoke('tokenFetch', { userId: 'crash' })));
  holder.kill();
  await expect(holder.result).rejects.toThrow(/SIGKILL/);

  const answers = await waiting;
  const done = Date.now();
  expect(answers.filter((a) => a.ok !== true)).toEqual([]);
  expect(new Set(answers.map((a) => a.accessToken)).size).toBe(1);
  // Nobody refreshed behind the dead holder's back: the takeover waited for its lease to end.
  expect(done).toBeGreaterThanOrEqual(leased.leaseExpiresAt!);
  expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 2, refreshGrants: 1, reuseDetected: 0, refreshFailures: 0 });

  // The takeover stored its tokens (a dropped write would lose the rotated refresh token).
  const after = (await storedRecord(vault, 'crash'))!;
  expect(after.version).toBe(before.version + 1);
  expect(after.leaseOwner).toBeUndefined();
  const stored = await vault.container.cipher().open(after, after.encryptedDataKey!, 'accessToken', after.accessToken!);
  registerSensitive(stored);
  expectSameToken(stored, answers[0]!.accessToken);

  // And the stored refresh token is the rotated one: the next refresh succeeds without reuse detection.
  const next = await vault.invoke('refresh', { userId: 'crash', rejectedAccessToken: String(answers[0]!.accessToken) });
  expectOk(next);
  expectSameToken(next.accessToken, answers[0]!.accessToken, false);
  expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 2, reuseDetected: 0, refreshFailures: 0 });
});

it('a live holder whose provider call times out releases the lease with a cool-down; waiters in other containers get a retryable answer', async () => {
  await vault.connectUser('timeout');
  await ageAccessToken(vault, 'timeout', -1000);
  await vault.provider.resetStats();
  await vault.provider.injectFault({ endpoint: 'token', mode: 'hang' });
  const holder = startWorker(vault.env, { userId: 'timeout', concurrency: 5, waitForGo: false });
  await until('the lease', async () => ((await storedRecord(vault, 'timeout'))?.leaseOwner !== undefined ? true : undefined));
  const waiters = await Promise.all(Array.from({ length: 5 }, () => vault.invoke('tokenFetch', { userId: 'timeout' })));
  const held = await holder.result;
  expect(held.map((r) => r.code)).toEqual(Array(5).fill('provider_unavailable'));
  for (const answer of waiters) {
    expect(answer).toMatchObject({ ok: false, error: { code: 'provider_unavailable', retryable: true } });
    expect((answer.error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  }
  expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 0, reuseDetected: 0 });
  const record = (await storedRecord(vault, 'timeout'))!;
  expect(record.leaseOwner).toBeUndefined();
  expect(record.cooldownUntil).toBeGreaterThan(Date.now());
  expect(record.lastErrorCode).toBe('provider_unavailable');
});

it('a waiter takes over a dead holder\'s lease only early in its own call; later it answers and a new call takes over', async () => {
  await vault.connectUser('late');
  await ageAccessToken(vault, 'late', -1000);
  await vault.provider.resetStats();
  await vault.provider.injectFault({ endpoint: 'token', mode: 'hang' });
  const holder = startWorker(vault.env, { userId: 'late', concurrency: 1, waitForGo: false });
  const leased = await until('the lease', async () => {
    const record = await storedRecord(vault, 'late');
    return record?.leaseOwner !== undefined ? record : undefined;
  });
  await until('the hanging request', async () => ((await vault.provider.stats()).tokenRequests === 1 ? true : undefined));
  holder.kill();
  await expect(holder.result).rejects.toThrow(/SIGKILL/);

  // This caller may take a free lease only within 1 s of its start; the dead holder's lease ends later.
  const c = vault.container;
  const coordinator = new RefreshCoordinator({
    store: c.connections(),
    cipher: c.cipher(),
    secrets: c.secrets(),
    applications: c.applications(),
    policy: { ...c.policy(), takeoverWindowMs: 1000 },
  });
  const key = { userId: 'late', applicationId: 'default' };
  const started = Date.now();
  await expect(coordinator.getToken(key, { minValidityMs: 0, trigger: 'on_demand' })).rejects.toMatchObject({ code: 'provider_unavailable', retryAfterSeconds: 1 });
  expect(Date.now()).toBeGreaterThanOrEqual(leased.leaseExpiresAt!);
  expect(Date.now() - started).toBeLessThan(6000);
  expect((await vault.provider.stats()).tokenRequests).toBe(1);
  // The next call takes the free lease at once.
  const token = await coordinator.getToken(key, { minValidityMs: 0, trigger: 'on_demand' });
  registerSensitive(token.accessToken);
  expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 2, refreshGrants: 1, reuseDetected: 0 });
});
