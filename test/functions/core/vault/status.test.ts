/**
 * The status service against moto (packages/cdk/functions/core/vault/status.ts), on the stores' own writes: each
 * connection's state in metadata only, pending provider revocations per application, one application or all.
 */
import { RESERVED_KEYS } from '@token-vault/cdk/src/definitions/tables';
import { VaultError } from '@token-vault/cdk/functions/core/errors';
import { ApplicationRegistry } from '@token-vault/cdk/functions/core/vault/applications';
import { StatusService } from '@token-vault/cdk/functions/core/vault/status';
import { testApplicationConfig } from '../../../support/applications';
import { testDeadline } from '../../../support/refresh';
import { sealedTokens, storesOnMoto, type StoresOnMoto } from '../../../support/stores';

let s: StoresOnMoto;
let status: StatusService;
beforeAll(async () => {
  s = await storesOnMoto();
  status = new StatusService(
    s.connections,
    new ApplicationRegistry(['a', 'b', 'c'].map((id) => testApplicationConfig(id))),
  );
}, 60_000);
afterAll(() => s?.close());

const iso = (ms: number): string => new Date(ms).toISOString();

describe('StatusService', () => {
  it("reports each of the user's connections by its state, sorted, with no token and no reserved item", async () => {
    const now = s.clock.now();
    await s.connect({ userId: 'mixed', applicationId: 'c' }, sealedTokens(now, { refreshTokenExpiresAt: now + 9_000 }));
    const ended = await s.connect({ userId: 'mixed', applicationId: 'a' });
    await s.connections.markReauthorizationRequired(ended, 'invalid_grant', undefined, testDeadline());
    const revoked = await s.connect({ userId: 'mixed', applicationId: 'b' });
    await s.connections.markRevoked(revoked, 'user_disconnected', testDeadline());

    const answer = await status.status({ userId: 'mixed' }, testDeadline());
    expect(answer).toEqual([
      {
        applicationId: 'a',
        status: 'reauthorization_required',
        scope: null,
        connectedAt: iso(now),
        lastRefreshedAt: null,
        accessTokenExpiresAt: null,
        refreshTokenExpiresAt: null,
        reauthorizationReason: 'invalid_grant',
        providerRevocationPending: false,
        refreshFailingSince: null,
      },
      expect.objectContaining({ applicationId: 'b', status: 'revoked', providerRevocationPending: true }),
      {
        applicationId: 'c',
        status: 'active',
        scope: 'read',
        connectedAt: iso(now),
        lastRefreshedAt: iso(now),
        accessTokenExpiresAt: iso(now + 60 * 60 * 1000),
        refreshTokenExpiresAt: iso(now + 9_000),
        reauthorizationReason: null,
        providerRevocationPending: false,
        refreshFailingSince: null,
      },
    ]);
    expect(JSON.stringify(answer)).not.toContain(RESERVED_KEYS.REVOCATION_PREFIX);
  });

  it('answers one application, with its own pending revocations only', async () => {
    const a = await s.connect({ userId: 'one', applicationId: 'a' });
    await s.connections.markRevoked(a, 'user_disconnected', testDeadline());
    await s.connect({ userId: 'one', applicationId: 'b' });
    expect(await status.status({ userId: 'one', applicationId: 'b' }, testDeadline())).toEqual([
      expect.objectContaining({ applicationId: 'b', status: 'active', providerRevocationPending: false }),
    ]);
    expect(await status.status({ userId: 'one', applicationId: 'a' }, testDeadline())).toEqual([
      expect.objectContaining({ applicationId: 'a', status: 'revoked', providerRevocationPending: true }),
    ]);
    expect(await status.status({ userId: 'one', applicationId: 'c' }, testDeadline())).toEqual([]);
  });

  it("says 'unknown' for an assumed refresh token expiry, and since when refreshes fail", async () => {
    const now = s.clock.now();
    const connection = await s.connect(
      { userId: 'failing', applicationId: 'a' },
      sealedTokens(now, { refreshTokenExpiresAt: now + 1, refreshTokenExpiryAssumed: true }),
    );
    const lease = (await s.leases.acquire(connection, 'w', 10_000, testDeadline()))!;
    await s.leases.release(
      connection,
      lease,
      { until: now + 30_000, errorCode: 'provider_unavailable' },
      testDeadline(),
    );
    expect(await status.status({ userId: 'failing' }, testDeadline())).toEqual([
      expect.objectContaining({ refreshTokenExpiresAt: 'unknown', refreshFailingSince: iso(now) }),
    ]);
  });

  it('refuses an unknown application, and answers nothing for an unknown user', async () => {
    await expect(status.status({ userId: 'x', applicationId: 'zzz' }, testDeadline())).rejects.toBeInstanceOf(
      VaultError,
    );
    expect(await status.status({ userId: 'nobody' }, testDeadline())).toEqual([]);
  });
});
