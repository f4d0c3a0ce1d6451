/* eslint-disable @typescript-eslint/require-await -- reproduction fakes answer at once */
/**
 * The refresher's time checks against the time model (src/definitions/budget.ts), on a virtual clock with fakes
 * that answer slowly (a timing a real peer can't be made to keep): a refresh the coordinator starts with exactly a
 * whole refresh's time left (lease write, preparation, one provider attempt, the write) reaches the provider when
 * every AWS call keeps inside its budget. The clock-skew allowance belongs to the lease (judged on other
 * containers' clocks), not to the invocation's own deadline.
 */
import { refreshTiming } from '@token-vault/cdk/functions/runtime/config';
import { readTunables } from '@token-vault/cdk/src/definitions/tunables';
import { RefreshCoordinator } from '@token-vault/cdk/functions/core/refresh/coordinator';
import { Refresher } from '@token-vault/cdk/functions/core/refresh/refresher';
import { wholeRefreshMs } from '@token-vault/cdk/src/definitions/budget';
import type { ActiveConnection, Lease, StoredTokens } from '@token-vault/cdk/functions/core/store/types';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { ManualClock } from '../../../support/clock';
import { sealedTokens } from '../../../support/stores';

/** The deployed defaults (provider 5 s, AWS call 2 s, lease 25 s). */
const timing = refreshTiming(readTunables({}));
/** Every AWS call answers within its 2 s budget, but not at once. */
const STEP_MS = 1_600;

async function drive<T>(clock: ManualClock, work: Promise<T>): Promise<T> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 10_000 && !settled; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(10);
  }
  return work;
}

it('a refresh started within wholeRefreshMs reaches the provider when every call keeps to its budget', async () => {
  const clock = new ManualClock();
  const tokens = (issuedAt: number): StoredTokens => sealedTokens(issuedAt);
  const connection: ActiveConnection = {
    userId: 'u',
    applicationId: 'default',
    status: 'active',
    version: 1,
    connectionId: 'c',
    connectedAt: new Date(clock.now()).toISOString(),
    updatedAt: new Date(clock.now()).toISOString(),
    tokens: tokens(clock.now() - 3_500_000),
  };
  const slow = async <T>(value: T): Promise<T> => {
    await clock.sleep(STEP_MS);
    return value;
  };
  let providerCalls = 0;
  const leases = {
    acquire: (_c: ActiveConnection, owner: string, ms: number) => slow<Lease>({ owner, expiresAt: clock.now() + ms }),
    extend: async () => undefined,
    release: async () => true,
    commit: async (c: ActiveConnection, _l: Lease, t: StoredTokens) => ({ ...c, version: c.version + 1, tokens: t }),
  };
  const sealer = {
    openRefreshToken: () => slow('rt'),
    nextDataKey: () => slow({}),
    needsKms: () => false,
    openAccessToken: async () => 'at',
    seal: (_b: unknown, r: { expiresIn?: number }, _k: unknown, at: number) => tokens(at),
  };
  const provider = {
    clientSecret: () => slow('secret'),
    refresh: async () => {
      providerCalls++;
      return { accessToken: 'new-at', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'new-rt' };
    },
    revokesReplacedRefreshTokens: () => true,
  };
  const connections = { get: async () => connection };
  const refresher = new Refresher({
    connections: connections as never,
    leases: leases as never,
    pending: {} as never,
    sealer: sealer as never,
    provider: provider as never,
    timing,
    marginMs: 300_000,
    cooldownMs: 30_000,
    clock,
    random: () => 0.5,
  });
  const coordinator = new RefreshCoordinator({
    connections: connections as never,
    leases: leases as never,
    sealer: sealer as never,
    refresher,
    timing,
    policy: { marginMs: 300_000, waitMs: 12_000, forcedRefreshMinIntervalMs: 30_000 },
    clock,
    random: () => 0.5,
  });
  // The coordinator starts the refresh: exactly a whole refresh's time is left after its read.
  const deadline = Deadline.at(clock.now() + wholeRefreshMs(timing), clock);
  const outcome = await drive(
    clock,
    coordinator.getToken(connection, { kind: 'forced' }, deadline).then(
      (t) => ({ token: t.accessToken }),
      (e: unknown) => ({ error: (e as { code?: string }).code }),
    ),
  );
  expect({ providerCalls, outcome }).toEqual({ providerCalls: 1, outcome: { token: 'new-at' } });
});
