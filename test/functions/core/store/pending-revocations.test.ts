/**
 * Pending provider revocations against moto (packages/cdk/functions/core/store/pending-revocations.ts): an item of
 * its own per refresh token, cancelled only before any attempt, confirmed once (with its record), retried on a
 * capped backoff recorded once per attempt.
 */
import { RESERVED_KEYS } from '@token-vault/cdk/src/definitions/tables';
import { PendingRevocations } from '@token-vault/cdk/functions/core/store/pending-revocations';
import type { ConnectionKey, PendingRevocation } from '@token-vault/cdk/functions/core/store/types';
import { testDeadline } from '../../../support/refresh';
import { storesOnMoto, type StoresOnMoto } from '../../../support/stores';

let s: StoresOnMoto;
beforeAll(async () => {
  s = await storesOnMoto();
}, 60_000);
afterAll(() => s?.close());

let users = 0;
const fresh = (applicationId = 'app'): ConnectionKey => ({ userId: `pending-${++users}`, applicationId });
const sealed = { encryptedDataKey: new Uint8Array([1, 2]), refreshToken: new Uint8Array([3, 4]) };

async function added(key = fresh(), dueAt?: number): Promise<PendingRevocation> {
  const itemKey = await s.pending.add(key, sealed, 'refresh_after_revoke', 'id-1', testDeadline(), dueAt);
  return (await s.pending.get(key.userId, itemKey, testDeadline()))!;
}

/** A connection revoked through the store: its pending item and the record it confirms. */
async function revoked(applicationId = 'app'): Promise<{ pending: PendingRevocation; recordKey: string }> {
  const key = fresh(applicationId);
  const connection = await s.connect(key);
  const { pendingKey, recordKey } = await s.connections.markRevoked(connection, 'user_request', testDeadline());
  return { pending: (await s.pending.get(key.userId, pendingKey!, testDeadline()))!, recordKey };
}

describe('add and get', () => {
  it('stores the sealed token under its own key, due now (or when told)', async () => {
    const key = fresh();
    const pending = await added(key);
    expect(pending).toEqual({
      ...key,
      itemKey: `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}app#id-1`,
      encryptedDataKey: sealed.encryptedDataKey,
      refreshToken: sealed.refreshToken,
      reason: 'refresh_after_revoke',
      since: s.clock.now(),
      attempts: 0,
    });
    expect(PendingRevocations.isPendingKey(pending.itemKey)).toBe(true);
    expect(PendingRevocations.isPendingKey('app')).toBe(false);
    const later = await added(fresh(), s.clock.now() + 60_000);
    expect((await s.item(later.userId, later.itemKey))!.refreshDueAt).toBe(s.clock.now() + 60_000);
  });

  it('refuses a second item under the same id', async () => {
    const key = fresh();
    await added(key);
    await expect(s.pending.add(key, sealed, 'again', 'id-1', testDeadline())).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('answers undefined for an item that is not there, and refuses a malformed one as corrupt', async () => {
    expect(
      await s.pending.get('nobody', `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}x`, testDeadline()),
    ).toBeUndefined();
    const pending = await added();
    const malformed = { userId: pending.userId, applicationId: pending.itemKey, refreshToken: 'plain text' };
    expect(() => PendingRevocations.fromUserItems([malformed])).toThrow('Pending revocation item is malformed.');
  });

  it("fromUserItems picks the pending items out of a user's partition", async () => {
    const { pending } = await revoked();
    const items = await s.userItems(pending.userId);
    expect(items.length).toBeGreaterThan(1);
    expect(PendingRevocations.fromUserItems(items)).toEqual([pending]);
  });
});

describe('cancel', () => {
  it('removes an item nobody attempted yet, once', async () => {
    const pending = await added();
    expect(await s.pending.cancel(pending.userId, pending.itemKey, testDeadline())).toBe(true);
    expect(await s.item(pending.userId, pending.itemKey)).toBeUndefined();
    expect(await s.pending.cancel(pending.userId, pending.itemKey, testDeadline())).toBe(false);
  });

  it('refuses once an attempt was made (the sweep may already have told the provider)', async () => {
    const pending = await added();
    await s.pending.retryLater(pending, testDeadline());
    expect(await s.pending.cancel(pending.userId, pending.itemKey, testDeadline())).toBe(false);
    expect(await s.item(pending.userId, pending.itemKey)).toBeDefined();
  });
});

describe('confirm', () => {
  it('deletes the item and marks its record confirmed, in one transaction; a second confirm answers false', async () => {
    const { pending, recordKey } = await revoked();
    expect(await s.pending.confirm(pending, testDeadline())).toBe(true);
    expect(await s.item(pending.userId, pending.itemKey)).toBeUndefined();
    const record = await s.item(pending.userId, recordKey);
    expect(record).toMatchObject({
      revocation: { providerConfirmed: true },
      providerConfirmedAt: new Date(s.clock.now()).toISOString(),
    });
    expect(await s.pending.confirm(pending, testDeadline())).toBe(false);
  });

  it('with providerConfirmed false, deletes the item and leaves the record unconfirmed', async () => {
    const { pending, recordKey } = await revoked();
    expect(await s.pending.confirm(pending, testDeadline(), { providerConfirmed: false })).toBe(true);
    expect(await s.item(pending.userId, pending.itemKey)).toBeUndefined();
    expect(await s.item(pending.userId, recordKey)).toMatchObject({ revocation: { providerConfirmed: false } });
  });

  it('an item without a record is simply deleted', async () => {
    const pending = await added();
    expect(await s.pending.confirm(pending, testDeadline())).toBe(true);
    expect(await s.item(pending.userId, pending.itemKey)).toBeUndefined();
  });
});

describe('retryLater', () => {
  it('counts the attempt and backs off exponentially, capped at an hour', async () => {
    const pending = await added();
    expect(await s.pending.retryLater(pending, testDeadline())).toBe(s.clock.now() + 30_000);
    expect(await s.item(pending.userId, pending.itemKey)).toMatchObject({
      attempts: 1,
      refreshDueAt: s.clock.now() + 30_000,
    });
    const second = (await s.pending.get(pending.userId, pending.itemKey, testDeadline()))!;
    expect(await s.pending.retryLater(second, testDeadline())).toBe(s.clock.now() + 60_000);
    expect(await s.pending.retryLater({ ...second, attempts: 20 }, testDeadline())).toBe(s.clock.now() + 3_600_000);
  });

  it('records an attempt once when two sweeps made it', async () => {
    const pending = await added();
    await s.pending.retryLater(pending, testDeadline());
    s.clock.advance(1_000);
    // The other sweep read the item before the first recorded its attempt.
    await s.pending.retryLater(pending, testDeadline());
    expect(await s.item(pending.userId, pending.itemKey)).toMatchObject({
      attempts: 1,
      refreshDueAt: s.clock.now() - 1_000 + 30_000,
    });
  });
});

describe('oldestAgeByApplication', () => {
  it("answers each application's oldest pending revocation's age", async () => {
    const first = await added(fresh('aged'));
    s.clock.advance(5_000);
    await added(fresh('aged'));
    await added(fresh('young'));
    s.clock.advance(1_000);
    const ages = await s.pending.oldestAgeByApplication(testDeadline(), 1000);
    expect(ages.get('aged')).toBe(6_000);
    expect(ages.get('young')).toBe(1_000);
    expect(first.since).toBe(s.clock.now() - 6_000);
  });
});
