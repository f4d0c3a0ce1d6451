/**
 * The proactive refresh: the scheduled sweep (`refresh-sweep`) finds the connections due within the look-ahead
 * and the provider revocations not yet confirmed through the `refresh-due` index and enqueues them; the refresh
 * worker (`refresh-worker`, fed by the queue) does the work, and touches nothing else.
 */
import { sweepDue } from '@token-vault/cdk/functions/core/refresh/sweep';
import { encodeWorkMessage, type WorkMessage } from '@token-vault/cdk/functions/core/refresh/work-queue';
import { workBatch } from '@token-vault/cdk/functions/core/refresh/worker';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { REFRESH_DUE_SHARDS } from '@token-vault/cdk/src/definitions/tables';
import { millis } from '@token-vault/cdk/src/definitions/tunables';
import { ageAccessToken, countAwsCalls, patchRecord, storedRecord, testDeadline } from '../support/refresh';
import { startVault, type Vault } from '../support/vault';
import { makePendingRevocationsDue } from '../support/pending-revocations';

let vault: Vault;

beforeAll(async () => {
  // Every connection ahead of expiry, used or not: these tests are about the sweep and the worker, not the policy
  // (refresh-policy.test.ts).
  vault = await startVault({ env: { [ENV.PROACTIVE_REFRESH]: 'all' } });
});
afterAll(async () => vault.close());

async function versions(userIds: readonly string[]): Promise<Record<string, number>> {
  const entries = await Promise.all(userIds.map(async (u) => [u, (await storedRecord(vault, u))!.version] as const));
  return Object.fromEntries(entries);
}

it('refreshes only the due connections, once each, and a second sweep finds nothing', async () => {
  const due = ['sweep-due-1', 'sweep-due-2', 'sweep-due-3', 'sweep-expired'];
  const fresh = ['sweep-fresh-1', 'sweep-fresh-2', 'sweep-fresh-3'];
  for (const userId of [...due, ...fresh, 'sweep-gone']) await vault.connectUser(userId);
  // Due: within the 5-minute margin (1 minute left) and one already expired; fresh: just connected (1 hour).
  for (const userId of due.slice(0, 3)) await ageAccessToken(vault, userId, 60_000);
  await ageAccessToken(vault, 'sweep-expired', -1000);
  // Revoked connections leave the index: never swept.
  await ageAccessToken(vault, 'sweep-gone', -1000);
  expect(await vault.invoke('revoke', { userId: 'sweep-gone', reason: 'user_disconnected' })).toEqual({
    ok: true,
    revoked: 1,
    providerPending: 0,
  });
  const before = await versions([...due, ...fresh]);
  // The index holds the policy's refresh moment (5 minutes before expiry for a 1-hour token), not the half-life.
  const freshRecord = (await storedRecord(vault, fresh[0]!))!;
  expect(freshRecord.refreshDueAt).toBe(freshRecord.accessTokenExpiresAt! - 5 * 60 * 1000);
  await vault.provider.resetStats();

  const answer = await vault.sweep();
  expect(answer).toEqual({
    sweep: {
      ok: true,
      examined: 4,
      enqueued: 4,
      alreadyQueued: 0,
      failed: 0,
      backlogMs: expect.any(Number),
      queued: 0,
    },
    received: 4,
    failed: 0,
  });
  // Behind: the oldest was due (5 minutes before its expiry) more than 5 minutes ago.
  expect(answer.sweep.backlogMs).toBeGreaterThan(5 * 60 * 1000);
  expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 4, refreshGrants: 4, reuseDetected: 0 });
  const after = await versions([...due, ...fresh]);
  for (const userId of due) expect(after[userId]).toBe(before[userId]! + 1);
  for (const userId of fresh) expect(after[userId]).toBe(before[userId]);

  // Refreshed connections are no longer due.
  expect(await vault.sweep()).toEqual({
    sweep: { ok: true, examined: 0, enqueued: 0, alreadyQueued: 0, failed: 0, backlogMs: 0, queued: 0 },
    received: 0,
    failed: 0,
  });
  expect((await vault.provider.stats()).tokenRequests).toBe(4);
});

it('a failing connection does not stop the sweep; the dead one leaves the index', async () => {
  for (const userId of ['sweep-ok', 'sweep-dead']) {
    await vault.connectUser(userId);
    await ageAccessToken(vault, userId, 60_000);
  }
  await vault.provider.revokeGrants('sweep-dead');
  await vault.provider.resetStats();
  // Both are worked and acknowledged: the dead one ended (reauthorization required), nothing to deliver again.
  expect(await vault.sweep()).toMatchObject({ sweep: { ok: true, examined: 2, enqueued: 2 }, received: 2, failed: 0 });
  expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 1, refreshFailures: 1, reuseDetected: 0 });
  expect(await storedRecord(vault, 'sweep-dead')).toMatchObject({
    status: 'reauthorization_required',
    reauthorizationReason: 'invalid_grant',
  });
  expect(await vault.sweep()).toMatchObject({ sweep: { examined: 0, enqueued: 0 }, received: 0 });
});

it.each([
  ['is down (503)', { endpoint: 'revocation', mode: 'status', status: 503 }],
  [
    'refuses with an OAuth error (invalid_request)',
    { endpoint: 'revocation', mode: 'status', status: 400, body: { error: 'invalid_request' } },
  ],
] as const)(
  'a revocation the provider did not confirm because it %s: revoked in the vault at once, confirmed by the sweep',
  async (_case, fault) => {
    const userId = `sweep-revoke-${fault.status}`;
    await vault.connectUser(userId);
    await vault.provider.resetStats();
    await vault.provider.injectFault({ ...fault, count: 1 });
    expect(await vault.invoke('revoke', { userId, reason: 'user_disconnected' })).toEqual({
      ok: true,
      revoked: 1,
      providerPending: 1,
    });
    expect(await vault.invoke('tokenFetch', { userId })).toMatchObject({ ok: false, error: { code: 'not_connected' } });
    const record = (await storedRecord(vault, userId))!;
    expect(record).toMatchObject({ status: 'revoked', revocationReason: 'user_disconnected' });
    for (const field of ['accessToken', 'refreshToken', 'encryptedDataKey'] as const)
      expect(record[field]).toBeUndefined();
    const revocations = async () =>
      (await vault.container.connections().listRevocations(testDeadline())).records.filter((r) => r.userId === userId);
    expect(await revocations()).toEqual([
      expect.objectContaining({ reason: 'user_disconnected', providerConfirmed: false }),
    ]);
    expect(await vault.provider.stats()).toMatchObject({ revocationRequests: 1, revocations: 0 });

    // A pending revocation waits for its backoff (30 s after the failed attempt): a sweep now leaves it.
    expect(await vault.sweep()).toMatchObject({ sweep: { examined: 0, enqueued: 0 }, received: 0 });
    // Once due, the sweep enqueues it and the worker tells the provider again, which confirms now; the next sweep
    // has nothing left.
    await makePendingRevocationsDue(vault, userId);
    expect(await vault.sweep()).toMatchObject({ sweep: { examined: 1, enqueued: 1 }, received: 1, failed: 0 });
    expect(await vault.provider.stats()).toMatchObject({ revocationRequests: 2, revocations: 1, grantsRevoked: 1 });
    expect(await revocations()).toEqual([
      expect.objectContaining({ reason: 'user_disconnected', providerConfirmed: true }),
    ]);
    expect(await vault.sweep()).toMatchObject({ sweep: { examined: 0, enqueued: 0 }, received: 0 });
    expect((await vault.provider.stats()).revocationRequests).toBe(2);
  },
);

it('the sweep costs one index query per shard and one send per 10 due items; the worker per due connection one read, two writes and at most two KMS calls, and a read and a reschedule for one not due', async () => {
  for (const userId of ['cost-due-1', 'cost-due-2', 'cost-early']) await vault.connectUser(userId);
  await ageAccessToken(vault, 'cost-due-1', 60_000);
  await ageAccessToken(vault, 'cost-due-2', 60_000);
  // In the index window (as an item written under a larger margin would be), but not due by the policy.
  await patchRecord(vault, 'cost-early', { refreshDueAt: Date.now() });
  const before = (await storedRecord(vault, 'cost-early'))!.version;
  const calls = countAwsCalls(vault.container);
  await vault.provider.resetStats();

  const queued: WorkMessage[] = [];
  let sends = 0;
  const horizonMs = millis(vault.container.tunables, 'sweepLookaheadSeconds');
  const swept = await sweepDue(
    vault.container.connections(),
    {
      sendBatch: (messages) => ((sends += 1), queued.push(...messages), Promise.resolve([])),
      depth: () => Promise.resolve(0),
    },
    {
      horizonMs,
      deadline: testDeadline(FUNCTIONS.sweep.timeoutSeconds * 1000),
      awsCallMs: vault.container.timing.awsCallMs,
      maxItems: 100,
    },
  );
  expect(swept).toEqual({
    examined: 3,
    enqueued: 3,
    alreadyQueued: 0,
    failed: 0,
    backlogMs: expect.any(Number),
    backlogByApplication: { default: swept.backlogMs },
    enqueuedByApplication: { default: 3 },
  });
  expect(sends).toBe(1);
  expect(calls.calls).toEqual({ 'DynamoDB.QueryCommand': REFRESH_DUE_SHARDS });
  expect(calls.of('KMS')).toBe(0);

  const coordinator = vault.container.coordinator();
  const revocation = vault.container.revocation();
  const worked = await workBatch(
    queued.map((m, i) => ({ messageId: String(i), body: encodeWorkMessage(m) })),
    {
      refreshIfDue: (key, h, deadline) => coordinator.refreshIfDue(key, h, deadline),
      retryRevocation: (userId, itemKey, deadline) => revocation.retryRevocation(userId, itemKey, deadline),
    },
    {
      horizonMs,
      deadline: testDeadline(FUNCTIONS.refreshWorker.timeoutSeconds * 1000),
      timing: vault.container.timing,
    },
  );
  expect(worked).toEqual({ failed: [], outcomes: { refreshed: 2, nothing_to_do: 1 } });
  expect((await vault.provider.stats()).refreshGrants).toBe(2);
  expect((await storedRecord(vault, 'cost-early'))!.version).toBe(before);
  // Per refresh a lease and a commit; the one not due is moved to its real due time (one write), so the next
  // sweep does not enqueue it again.
  expect(calls.calls).toMatchObject({
    'DynamoDB.QueryCommand': REFRESH_DUE_SHARDS,
    'DynamoDB.GetItemCommand': 3,
    'DynamoDB.UpdateItemCommand': 5,
  });
  // Per refresh: unwrap the data key of the refresh token and wrap a new one; nothing for the one not due.
  expect(calls.of('KMS')).toBeLessThanOrEqual(4);
  expect(calls.of('DynamoDB')).toBe(REFRESH_DUE_SHARDS + 3 + 5);
  expect((await storedRecord(vault, 'cost-early'))!.refreshDueAt).toBe(
    (await storedRecord(vault, 'cost-early'))!.accessTokenExpiresAt! - 5 * 60 * 1000,
  );
});
