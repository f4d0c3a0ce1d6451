/**
 * The proactive refresh's reschedule of an unused token (the keep-alive track) against moto: it is fenced on the use
 * mark as the worker read it, so a fetch that marked the token meanwhile (a mark does not move the version) keeps
 * the token on the expiry track. Found by an adversarial review; this test failed before the fence.
 */
import type { ActiveConnection } from '@token-vault/cdk/functions/core/store/types';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { closeContainer, storedRecord, testDeadline } from '../../../support/refresh';
import { startVault, type Vault } from '../../../support/vault';

let vault: Vault;
let container: Container;
beforeAll(async () => {
  vault = await startVault();
  container = new Container({ ...process.env, ...vault.env });
}, 60_000);
afterAll(async () => {
  closeContainer(container);
  await vault?.close();
});

const key = { userId: 'resched', applicationId: 'default' };
const read = async (): Promise<ActiveConnection> => {
  const connection = await container.connections().get(key, testDeadline());
  if (connection?.status !== 'active') throw new Error('not active');
  return connection;
};

it('a visit that read the token unused does not move it off the expiry track after a fetch marked it', async () => {
  await vault.connectUser(key.userId);
  const seenUnused = await read();
  expect(seenUnused.lastFetchedAt).toBeUndefined();
  // A caller fetches the token: the first answer marks it used and puts it on the expiry track.
  expect(await vault.invoke('tokenFetch', { userId: key.userId })).toMatchObject({ ok: true });
  const marked = (await storedRecord(vault, key.userId))!;
  expect(marked.lastFetchedAt).toBeDefined();
  // The worker's stale visit would move it to the keep-alive track, a day later: refused.
  const later = marked.refreshDueAt! + 86_400_000;
  expect(await container.connections().reschedule(seenUnused, later, testDeadline())).toBe(false);
  expect((await storedRecord(vault, key.userId))!.refreshDueAt).toBe(marked.refreshDueAt);
  // A visit that read the current mark may still move it.
  expect(await container.connections().reschedule(await read(), later, testDeadline())).toBe(true);
  expect((await storedRecord(vault, key.userId))!.refreshDueAt).toBe(later);
});
