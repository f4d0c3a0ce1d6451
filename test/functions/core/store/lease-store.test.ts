/**
 * The refresh lease against moto (packages/cdk/functions/core/store/lease-store.ts): taken only when none is live
 * at the version read, extended and given back only by its owner, and the commit of new tokens written only while
 * the owner still holds it at that version.
 */
import type { ActiveConnection, ConnectionKey, Lease } from '@token-vault/cdk/functions/core/store/types';
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import { testDeadline } from '../../../support/refresh';
import { sealedTokens, storesOnMoto, type StoresOnMoto } from '../../../support/stores';

let s: StoresOnMoto;
beforeAll(async () => {
  s = await storesOnMoto();
}, 60_000);
afterAll(() => s?.close());

const LEASE_MS = 10_000;
let users = 0;
const fresh = (): ConnectionKey => ({ userId: `lease-${++users}`, applicationId: 'app' });

async function connected(): Promise<{ key: ConnectionKey; connection: ActiveConnection }> {
  const key = fresh();
  return { key, connection: await s.connect(key) };
}

const acquire = (connection: ActiveConnection, owner: string) =>
  s.leases.acquire(connection, owner, LEASE_MS, testDeadline());

describe('acquire', () => {
  it('takes the lease when none is live and writes its owner and expiry', async () => {
    const { key, connection } = await connected();
    const lease = await acquire(connection, 'a');
    expect(lease).toEqual({ owner: 'a', expiresAt: s.clock.now() + LEASE_MS });
    expect(await s.item(key.userId, key.applicationId)).toMatchObject({
      leaseOwner: 'a',
      leaseExpiresAt: lease!.expiresAt,
      version: 1,
    });
  });

  it('refuses while another lease is live, and takes over an expired one', async () => {
    const { key, connection } = await connected();
    await acquire(connection, 'a');
    expect(await acquire(connection, 'b')).toBeUndefined();
    s.clock.advance(LEASE_MS - 1);
    expect(await acquire(connection, 'b')).toBeUndefined();
    s.clock.advance(2);
    expect(await acquire(connection, 'b')).toMatchObject({ owner: 'b' });
    expect((await s.item(key.userId, key.applicationId))!.leaseOwner).toBe('b');
  });

  it('refuses a connection that moved on, or is no longer active', async () => {
    const { key, connection } = await connected();
    const moved = await s.connections.saveConnected(
      key,
      connection,
      sealedTokens(s.clock.now()),
      { connectionId: 'c2', dueAt: 0, flowStartedAt: s.clock.now() },
      testDeadline(),
    );
    expect(await acquire(connection, 'stale')).toBeUndefined();
    await s.connections.markReauthorizationRequired(moved, 'invalid_grant', undefined, testDeadline());
    // The version read after the change, but the status is no longer active.
    expect(await acquire({ ...moved, version: moved.version + 1 }, 'late')).toBeUndefined();
  });
});

describe('extend', () => {
  it("pushes the holder's expiry out; refuses a lease that was taken over", async () => {
    const { key, connection } = await connected();
    const lease = (await acquire(connection, 'a'))!;
    s.clock.advance(5_000);
    const extended = await s.leases.extend(connection, lease, LEASE_MS, testDeadline());
    expect(extended).toEqual({ owner: 'a', expiresAt: s.clock.now() + LEASE_MS });
    s.clock.advance(LEASE_MS + 1);
    await acquire(connection, 'b');
    expect(await s.leases.extend(connection, lease, LEASE_MS, testDeadline())).toBeUndefined();
    expect((await s.item(key.userId, key.applicationId))!.leaseOwner).toBe('b');
  });
});

describe('commit', () => {
  it('writes the new tokens at version + 1 and clears the lease, cool-down and failure streak', async () => {
    const { key, connection } = await connected();
    const failed = (await acquire(connection, 'a'))!;
    await s.leases.release(connection, failed, { until: s.clock.now() + 1, errorCode: 'rate_limited' }, testDeadline());
    s.clock.advance(2);
    const lease = (await acquire(connection, 'b'))!;
    const next = sealedTokens(s.clock.now(), { accessToken: new Uint8Array([42]) });
    const committed = await s.leases.commit(connection, lease, next, s.clock.now() + 99, testDeadline());
    expect(committed).toMatchObject({ version: 2, status: 'active', refreshDueAt: s.clock.now() + 99 });
    expect(committed.tokens.accessToken).toEqual(new Uint8Array([42]));
    const item = await s.item(key.userId, key.applicationId);
    for (const attribute of ['leaseOwner', 'leaseExpiresAt', 'cooldownUntil', 'lastErrorCode', 'failureStreak'])
      expect(item).not.toHaveProperty(attribute);
    expect(item).toMatchObject({ lastRefreshAt: new Date(s.clock.now()).toISOString() });
  });

  it('refuses with a conflict when the lease was taken over, and writes nothing', async () => {
    const { key, connection } = await connected();
    const lease = (await acquire(connection, 'a'))!;
    s.clock.advance(LEASE_MS + 1);
    await acquire(connection, 'b');
    const error = await s.leases
      .commit(connection, lease, sealedTokens(s.clock.now()), 0, testDeadline())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'conflict' });
    expect(await s.item(key.userId, key.applicationId)).toMatchObject({ version: 1, leaseOwner: 'b' });
  });

  it("marks a forced refresh and a caller's use; a due refresh clears the forced mark", async () => {
    const { key, connection } = await connected();
    const first = await s.leases.commit(
      connection,
      (await acquire(connection, 'a'))!,
      sealedTokens(s.clock.now()),
      0,
      testDeadline(),
      true,
      s.clock.now(),
    );
    expect(first).toMatchObject({ lastForcedRefreshAt: s.clock.now(), lastFetchedAt: s.clock.now() });
    await s.leases.commit(first, (await acquire(first, 'b'))!, sealedTokens(s.clock.now()), 0, testDeadline());
    expect(await s.item(key.userId, key.applicationId)).not.toHaveProperty('lastForcedRefreshAt');
  });

  it('without a refresh token in the answer, takes the connection out of the due index', async () => {
    const { key, connection } = await connected();
    const { refreshToken: _none, ...noRefresh } = sealedTokens(s.clock.now());
    await s.leases.commit(connection, (await acquire(connection, 'a'))!, noRefresh, 5, testDeadline());
    const item = await s.item(key.userId, key.applicationId);
    for (const attribute of ['refreshToken', 'dueShard', 'refreshDueAt']) expect(item).not.toHaveProperty(attribute);
  });
});

describe('release', () => {
  it('gives the lease back; with a cool-down, records it, moves the due time and grows the failure streak', async () => {
    const { key, connection } = await connected();
    const start = s.clock.now();
    const cooldown = { until: start + 30_000, errorCode: 'provider_unavailable' as const };
    expect(await s.leases.release(connection, (await acquire(connection, 'a'))!, cooldown, testDeadline())).toBe(true);
    expect(await s.item(key.userId, key.applicationId)).toMatchObject({
      cooldownUntil: start + 30_000,
      lastErrorCode: 'provider_unavailable',
      refreshDueAt: start + 30_000,
      failureStreak: 1,
      failingSince: start,
    });
    s.clock.advance(30_001);
    await s.leases.release(connection, (await acquire(connection, 'b'))!, cooldown, testDeadline(), s.clock.now());
    const item = await s.item(key.userId, key.applicationId);
    // The streak keeps its start; the announced failure's time is recorded.
    expect(item).toMatchObject({ failureStreak: 2, failingSince: start, lastFailureEventAt: s.clock.now() });
    expect(item).not.toHaveProperty('leaseOwner');
  });

  it('without a cool-down only removes the lease', async () => {
    const { key, connection } = await connected();
    expect(await s.leases.release(connection, (await acquire(connection, 'a'))!, undefined, testDeadline())).toBe(true);
    const item = await s.item(key.userId, key.applicationId);
    expect(item).not.toHaveProperty('leaseOwner');
    expect(item).not.toHaveProperty('cooldownUntil');
  });

  it("answers false and leaves the successor's lease alone when it is no longer the owner", async () => {
    const { key, connection } = await connected();
    const lease: Lease = (await acquire(connection, 'a'))!;
    s.clock.advance(LEASE_MS + 1);
    await acquire(connection, 'b');
    expect(await s.leases.release(connection, lease, undefined, testDeadline())).toBe(false);
    expect((await s.item(key.userId, key.applicationId))!.leaseOwner).toBe('b');
  });
});
