/**
 * What token-fetch costs in AWS calls (counted with a middleware on the container's SDK clients), and the crash
 * window: when the write after a successful refresh fails, `WriteAfterRefreshFailed` tells operators and the
 * caller gets no token the vault could not store.
 */
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import type { LeaseStore } from '@token-vault/cdk/functions/core/store/lease-store';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { registerSensitive } from '../support/leak-guard';
import {
  ageAccessToken,
  closeContainer,
  coreOf,
  countAwsCalls,
  metricsRecorder,
  sha256,
  storedRecord,
  testDeadline,
} from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  vault = await startVault();
});
afterAll(async () => vault.close());

const fetchIn = (container: Container, userId: string) =>
  container.tokens().fetch({ userId, applicationId: 'default', minValiditySeconds: 60 }, testDeadline());

describe('warm path cost', () => {
  it('a warm token-fetch makes one DynamoDB GetItem and no KMS call', async () => {
    await vault.connectUser('cost-warm');
    const container = new Container({ ...process.env, ...vault.env });
    try {
      const calls = countAwsCalls(container);
      // Cold: the data key is unwrapped once, then cached in memory. The first answer with this access token marks
      // it as used (the `used` policy's lastFetchedAt): one conditional write per access token, whatever the number
      // of fetches. That write, made after the KMS call and conditioned on the connection's version and status,
      // decides the answer (a revoke in between wins), so no second read is needed.
      registerSensitive((await fetchIn(container, 'cost-warm')).accessToken);
      expect(calls.calls).toEqual({
        'DynamoDB.GetItemCommand': 1,
        'KMS.DecryptCommand': 1,
        'DynamoDB.UpdateItemCommand': 1,
      });
      calls.reset();
      for (let i = 0; i < 200; i++) await fetchIn(container, 'cost-warm');
      expect(calls.calls).toEqual({ 'DynamoDB.GetItemCommand': 200 });
    } finally {
      closeContainer(container);
    }
  });

  it('a refresh makes one provider call, at most two KMS calls and three DynamoDB calls', async () => {
    await vault.connectUser('cost-refresh');
    await ageAccessToken(vault, 'cost-refresh', -1000);
    await vault.provider.resetStats();
    const container = new Container({ ...process.env, ...vault.env });
    try {
      const calls = countAwsCalls(container);
      registerSensitive((await fetchIn(container, 'cost-refresh')).accessToken);
      expect((await vault.provider.stats()).tokenRequests).toBe(1);
      // Decrypt (the refresh token's data key), which is reused for the new tokens (no GenerateDataKey).
      expect(calls.of('KMS')).toBe(1);
      // GetItem, the lease (conditional UpdateItem), the commit (conditional UpdateItem); the client secret once.
      expect(calls.calls).toMatchObject({
        'DynamoDB.GetItemCommand': 1,
        'DynamoDB.UpdateItemCommand': 2,
        'SecretsManager.GetSecretValueCommand': 1,
      });
      expect(calls.of('DynamoDB')).toBe(3);
      // The next refresh in this warm container: the secret and the data key are cached.
      calls.reset();
      await ageAccessToken(vault, 'cost-refresh', -1000);
      registerSensitive((await fetchIn(container, 'cost-refresh')).accessToken);
      // The connection's data key is reused (cached since the first refresh opened the refresh token): no KMS call.
      expect(calls.calls).toEqual({ 'DynamoDB.GetItemCommand': 1, 'DynamoDB.UpdateItemCommand': 2 });
    } finally {
      closeContainer(container);
    }
  });

  it('waiters in another container open the new token once, not once per waiter', async () => {
    await vault.connectUser('cost-waiters');
    await ageAccessToken(vault, 'cost-waiters', -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'slow', delayMs: 800 });
    const env = { ...process.env, ...vault.env };
    const refresher = new Container(env);
    const waiters = new Container(env);
    try {
      const calls = countAwsCalls(waiters);
      const leader = fetchIn(refresher, 'cost-waiters');
      while ((await storedRecord(vault, 'cost-waiters'))?.leaseOwner === undefined)
        await new Promise((r) => setTimeout(r, 10));
      const tokens = await Promise.all(Array.from({ length: 30 }, () => fetchIn(waiters, 'cost-waiters')));
      registerSensitive((await leader).accessToken);
      expect(new Set(tokens.map((t) => sha256(t.accessToken)))).toEqual(new Set([sha256((await leader).accessToken)]));
      expect(calls.calls['KMS.DecryptCommand']).toBe(1);
    } finally {
      closeContainer(refresher);
      closeContainer(waiters);
    }
  });
});

describe('the crash window', () => {
  /** A coordinator on the vault's own services, with a lease store whose commit fails `failures` times. */
  function coordinatorWithFailingCommit(failures: number) {
    const real = vault.container.leases();
    let attempts = 0;
    const leases = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'commit') {
          return async (...args: Parameters<LeaseStore['commit']>) => {
            attempts++;
            if (attempts <= failures)
              throw new StoreError('unavailable', 'commit refresh: DynamoDB failed (InternalServerError).');
            return target.commit(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const metrics = metricsRecorder();
    const { coordinator } = coreOf(vault.container, { leases, metrics });
    return { coordinator, metrics, attempts: () => attempts };
  }

  it('emits WriteAfterRefreshFailed when the commit after a successful refresh keeps failing; the caller gets internal_error, not the unstored token', async () => {
    await vault.connectUser('crash-window');
    await ageAccessToken(vault, 'crash-window', -1000);
    const before = (await storedRecord(vault, 'crash-window'))!;
    await vault.provider.resetStats();
    const { coordinator, metrics, attempts } = coordinatorWithFailingCommit(Number.POSITIVE_INFINITY);
    await expect(
      coordinator.getToken(
        { userId: 'crash-window', applicationId: 'default' },
        { kind: 'valid', minValidityMs: 0 },
        testDeadline(),
      ),
    ).rejects.toMatchObject({
      code: 'internal_error',
    });
    expect((await vault.provider.stats()).refreshGrants).toBe(1);
    // The write is retried (capped backoff) for as long as the lease lasts, not a fixed number of times.
    expect(attempts()).toBeGreaterThanOrEqual(3);
    expect(metrics.total('WRITE_AFTER_REFRESH_FAILED', { Application: 'default' })).toBe(1);
    expect(metrics.total('REFRESH', { Result: 'ok' })).toBe(1);
    // Nothing was written: the item still holds the old (now rotated away) tokens.
    expect((await storedRecord(vault, 'crash-window'))!.version).toBe(before.version);
  });

  it('a commit that fails once is retried with the same fencing and succeeds: no metric', async () => {
    await vault.connectUser('crash-retry');
    await ageAccessToken(vault, 'crash-retry', -1000);
    const before = (await storedRecord(vault, 'crash-retry'))!;
    const { coordinator, metrics, attempts } = coordinatorWithFailingCommit(1);
    registerSensitive(
      (
        await coordinator.getToken(
          { userId: 'crash-retry', applicationId: 'default' },
          { kind: 'valid', minValidityMs: 0 },
          testDeadline(),
        )
      ).accessToken,
    );
    expect(attempts()).toBe(2);
    expect(metrics.total('WRITE_AFTER_REFRESH_FAILED')).toBe(0);
    const after = (await storedRecord(vault, 'crash-retry'))!;
    expect(after.version).toBe(before.version + 1);
    expect(after.leaseOwner).toBeUndefined();
  });
});
