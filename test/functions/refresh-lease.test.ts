/**
 * A lease holder that dies mid-refresh (SIGKILL while its provider call hangs, like a Lambda container that
 * vanishes): its lease blocks refreshes only until it expires; then another caller takes over, refreshes once
 * and stores the rotated token, so the user stays logged in. A caller takes over only when its remaining time
 * covers a whole refresh, and a live holder extends its lease before an attempt the lease would not cover.
 */
import { wholeRefreshMs } from '@token-vault/cdk/functions/core/refresh/budget';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import type { LeaseStore } from '@token-vault/cdk/functions/core/store/lease-store';
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { registerSensitive } from '../support/leak-guard';
import {
  ageAccessToken,
  coreOf,
  expectOk,
  expectSameToken,
  openStoredAccessToken,
  sleep,
  startWorker,
  storedRecord,
  testDeadline,
} from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  // The shortest lease the time model allows with 1-second provider calls (preparation, one attempt, the write
  // and the clock skew: 2.5 + 1 + 2.5 + 1 s), so that the takeover happens within the test; callers wait for it.
  vault = await startVault({
    env: {
      [TUNABLES.refreshLeaseSeconds.env]: '7',
      [TUNABLES.providerTimeoutMs.env]: '1000',
      [TUNABLES.refreshWaitSeconds.env]: '10',
      // The test refreshes a token right after it was issued.
      [TUNABLES.forcedRefreshMinIntervalSeconds.env]: '0',
    },
  });
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
  await until('the hanging request', async () =>
    (await vault.provider.stats()).tokenRequests === 1 ? true : undefined,
  );
  const waiting = Promise.all(Array.from({ length: 10 }, () => vault.invoke('tokenFetch', { userId: 'crash' })));
  holder.kill();
  await expect(holder.result).rejects.toThrow(/SIGKILL/);

  const answers = await waiting;
  const done = Date.now();
  expect(answers.filter((a) => a.ok !== true)).toEqual([]);
  expect(new Set(answers.map((a) => a.accessToken)).size).toBe(1);
  // Nobody refreshed behind the dead holder's back: the takeover waited for its lease to end.
  expect(done).toBeGreaterThanOrEqual(leased.leaseExpiresAt!);
  expect(await vault.provider.stats()).toMatchObject({
    tokenRequests: 2,
    refreshGrants: 1,
    reuseDetected: 0,
    refreshFailures: 0,
  });

  // The takeover stored its tokens (a dropped write would lose the rotated refresh token).
  const after = (await storedRecord(vault, 'crash'))!;
  expect(after.version).toBe(before.version + 1);
  expect(after.leaseOwner).toBeUndefined();
  expectSameToken(await openStoredAccessToken(vault, 'crash'), answers[0]!.accessToken);

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
  await until('the lease', async () =>
    (await storedRecord(vault, 'timeout'))?.leaseOwner !== undefined ? true : undefined,
  );
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

it("a waiter takes over a dead holder's lease only while its remaining time covers a whole refresh; otherwise it answers and a new call takes over", async () => {
  await vault.connectUser('late');
  await ageAccessToken(vault, 'late', -1000);
  await vault.provider.resetStats();
  await vault.provider.injectFault({ endpoint: 'token', mode: 'hang' });
  const holder = startWorker(vault.env, { userId: 'late', concurrency: 1, waitForGo: false });
  const leased = await until('the lease', async () => {
    const record = await storedRecord(vault, 'late');
    return record?.leaseOwner !== undefined ? record : undefined;
  });
  await until('the hanging request', async () =>
    (await vault.provider.stats()).tokenRequests === 1 ? true : undefined,
  );
  holder.kill();
  await expect(holder.result).rejects.toThrow(/SIGKILL/);

  // This caller's invocation ends half a second short of a whole refresh after the dead holder's lease: long
  // enough to wait for the lease (a waiter stops 3 AWS calls before its end), too short to refresh after it.
  const coordinator = vault.container.coordinator();
  const key = { userId: 'late', applicationId: 'default' };
  const whole = wholeRefreshMs(vault.container.timing);
  const end = leased.leaseExpiresAt! + whole - 500;
  expect(end - 3 * vault.container.timing.awsCallMs).toBeGreaterThan(leased.leaseExpiresAt!);
  await expect(
    coordinator.getToken(key, { kind: 'valid', minValidityMs: 0 }, Deadline.at(end, SYSTEM_CLOCK)),
  ).rejects.toMatchObject({
    code: 'provider_unavailable',
    retryAfterSeconds: 1,
  });
  expect(Date.now()).toBeGreaterThan(leased.leaseExpiresAt!);
  expect(Date.now()).toBeLessThanOrEqual(end);
  expect((await vault.provider.stats()).tokenRequests).toBe(1);
  expect((await storedRecord(vault, 'late'))!.leaseOwner).toBe(leased.leaseOwner);
  // The next call, with a whole function timeout ahead of it, takes the expired lease over at once.
  const token = await coordinator.getToken(key, { kind: 'valid', minValidityMs: 0 }, testDeadline());
  registerSensitive(token.accessToken);
  expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 2, refreshGrants: 1, reuseDetected: 0 });
});

it('a holder extends its lease before a provider attempt the lease would not cover (a retry after Retry-After)', async () => {
  await vault.connectUser('extend');
  await ageAccessToken(vault, 'extend', -1000);
  await vault.provider.resetStats();
  // The first attempt is answered 429 with Retry-After: 3 s; after waiting, less of the 7-second lease is left
  // than the next attempt needs (attempt, write and clock skew: 4.5 s), so the holder extends it first.
  await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 429, retryAfter: '3', count: 1 });
  const real = vault.container.leases();
  const extensions: Array<{
    owner: string;
    from: number;
    to: number | undefined;
    stored: number | undefined;
    requestsBefore: number;
  }> = [];
  const leases = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'extend') {
        return async (...args: Parameters<LeaseStore['extend']>) => {
          const requestsBefore = (await vault.provider.stats()).tokenRequests;
          const extended = await target.extend(...args);
          const stored = (await storedRecord(vault, 'extend'))?.leaseExpiresAt;
          extensions.push({
            owner: args[1].owner,
            from: args[1].expiresAt,
            to: extended?.expiresAt,
            stored,
            requestsBefore,
          });
          return extended;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const { coordinator } = coreOf(vault.container, { leases });
  const token = await coordinator.getToken(
    { userId: 'extend', applicationId: 'default' },
    { kind: 'valid', minValidityMs: 0 },
    testDeadline(),
  );
  registerSensitive(token.accessToken);
  expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 2, refreshGrants: 1, reuseDetected: 0 });
  // One extension, between the two attempts, pushing the stored expiry out by the time waited.
  expect(extensions).toHaveLength(1);
  const [extension] = extensions;
  expect(extension!.requestsBefore).toBe(1);
  expect(extension!.to).toBeDefined();
  expect(extension!.stored).toBe(extension!.to);
  expect(extension!.to! - extension!.from).toBeGreaterThanOrEqual(2500);
  expect((await storedRecord(vault, 'extend'))!.leaseOwner).toBeUndefined();
});
