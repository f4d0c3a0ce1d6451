/**
 * Data-key reuse: a refresh in a warm container seals the new tokens under the connection's stored data key (fresh
 * IVs, same encryption context), so it needs no KMS call; the reuse is bounded by writes and age, counted in the
 * item so that the bound holds across containers.
 */
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { ageAccessToken, closeContainer, countAwsCalls, storedRecord, testDeadline } from '../support/refresh';
import { registerSensitive } from '../support/leak-guard';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;
beforeAll(async () => {
  vault = await startVault();
});
afterAll(async () => vault.close());

/** `n` refreshes of `userId` in `container`, each on demand after its token expired. */
async function refreshes(container: Container, userId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await ageAccessToken(vault, userId, -1000);
    registerSensitive(
      (await container.tokens().fetch({ userId, applicationId: 'default', minValiditySeconds: 60 }, testDeadline()))
        .accessToken,
    );
  }
}

it('in a warm container a refresh makes no KMS call: 1 Decrypt for 24 refreshes (0.04 per refresh), the key and its context unchanged, fresh IVs', async () => {
  await vault.connectUser('reuse-warm');
  const container = new Container({ ...process.env, ...vault.env });
  try {
    const first = (await storedRecord(vault, 'reuse-warm'))!;
    expect(first).toMatchObject({ dataKeyWrites: 1 });
    const calls = countAwsCalls(container);
    await vault.provider.resetStats();
    await refreshes(container, 'reuse-warm', 24);
    expect((await vault.provider.stats()).refreshGrants).toBe(24);
    // The container had never seen the key: one Decrypt, then every refresh reuses the cached key.
    expect(calls.of('KMS')).toBe(1);
    expect(calls.calls['KMS.GenerateDataKeyCommand']).toBeUndefined();
    const last = (await storedRecord(vault, 'reuse-warm'))!;
    expect(Buffer.from(last.encryptedDataKey!).equals(Buffer.from(first.encryptedDataKey!))).toBe(true);
    expect(last).toMatchObject({ dataKeyWrites: 25, dataKeyCreatedAt: first.dataKeyCreatedAt });
    // Sealed fields never repeat (a fresh IV per field per write).
    expect(Buffer.from(last.accessToken!).equals(Buffer.from(first.accessToken!))).toBe(false);
  } finally {
    closeContainer(container);
  }
});

it('after maxWrites writes (or maxAge) the next write gets a new key from KMS', async () => {
  await vault.connectUser('reuse-bounded');
  const container = new Container({ ...process.env, ...vault.env, [TUNABLES.dataKeyMaxWrites.env]: '3' });
  try {
    const calls = countAwsCalls(container);
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) {
      await refreshes(container, 'reuse-bounded', 1);
      const record = (await storedRecord(vault, 'reuse-bounded'))!;
      keys.push(`${Buffer.from(record.encryptedDataKey!).toString('base64')}|${String(record.dataKeyWrites)}`);
    }
    // Writes 2 and 3 under the callback's key, then a new key (write 1), reused for writes 2 and 3.
    expect(keys.map((k) => k.split('|')[1])).toEqual(['2', '3', '1', '2', '3']);
    expect(new Set(keys.map((k) => k.split('|')[0])).size).toBe(2);
    expect(calls.calls['KMS.GenerateDataKeyCommand']).toBe(1);
  } finally {
    closeContainer(container);
  }
});
