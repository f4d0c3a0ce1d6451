/**
 * The refresh token's own expiry (4 seconds here, 30 days in the seed). Stated by the provider
 * (`refresh_token_expires_in`): once it has passed, the vault answers `reauthorization_required` without calling
 * the provider; each rotation restarts it. Only assumed (no expiry stated; the vault's default lifetime): the
 * vault still tries the refresh and lets the provider's answer decide.
 */
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { ageAccessToken, expectOk, patchRecord, sleep, storedRecord } from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

// The provider counts lifetimes in whole seconds from a truncated issue time, so a lifetime of N seconds can
// end up to a second early there: the test keeps a margin of at least one second on each side.
const REFRESH_TTL_SECONDS = 4;
/** The provider states its refresh tokens' lifetime (GitHub's `refresh_token_expires_in`; 4 s here). */
const STATED = { refreshTokenExpiresIn: { field: 'refresh_token_expires_in' } } as const;
let vault: Vault;
let rejected: string;

beforeAll(async () => {
  vault = await startVault({
    refreshTokenTtlSeconds: REFRESH_TTL_SECONDS,
    env: {
      [TUNABLES.defaultRefreshTokenTtlSeconds.env]: String(REFRESH_TTL_SECONDS),
      // The forced refresh below rejects the token issued at connect, seconds before.
      [TUNABLES.forcedRefreshMinIntervalSeconds.env]: '0',
    },
  });
  await vault.provider.setQuirks(STATED);
  // Both connections' refresh tokens age together (one wait for the first two tests).
  await vault.connectUser('rt-expired');
  await vault.connectUser('rt-forced');
  rejected = String((await vault.invoke('tokenFetch', { userId: 'rt-forced' })).accessToken);
});
afterAll(async () => vault.close());

async function waitPast(epochMs: number): Promise<void> {
  await sleep(Math.max(0, epochMs - Date.now() + 50));
}

it('a refresh token past its stated expiry: the access token is served while not due, then reauthorization_required with no provider call', async () => {
  const connected = (await storedRecord(vault, 'rt-expired'))!;
  expect(connected.refreshTokenExpiresAt! - connected.accessTokenIssuedAt!).toBe(REFRESH_TTL_SECONDS * 1000);
  expect(connected.refreshTokenExpiryAssumed).toBeUndefined();
  await vault.provider.resetStats();
  await waitPast(connected.refreshTokenExpiresAt!);

  // The access token (1 hour) is not due: it is served as usual.
  expectOk(await vault.invoke('tokenFetch', { userId: 'rt-expired' }));
  // Once it is due, the dead refresh token is not even tried.
  await ageAccessToken(vault, 'rt-expired', -1000);
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => vault.invoke('tokenFetch', { userId: 'rt-expired' })),
  );
  for (const answer of answers)
    expect(answer).toMatchObject({ ok: false, error: { code: 'reauthorization_required', retryable: false } });
  expect((await vault.provider.stats()).tokenRequests).toBe(0);
  const record = (await storedRecord(vault, 'rt-expired'))!;
  expect(record).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'refresh_token_expired' });
  expect(record.refreshToken).toBeUndefined();
  expect(record.accessToken).toBeUndefined();
});

it('a forced refresh with a refresh token past its stated expiry answers reauthorization_required, not the rejected token', async () => {
  await waitPast((await storedRecord(vault, 'rt-forced'))!.refreshTokenExpiresAt!);
  await vault.provider.resetStats();
  const answer = await vault.invoke('refresh', { userId: 'rt-forced', rejectedAccessToken: rejected });
  expect(answer).toMatchObject({ ok: false, error: { code: 'reauthorization_required' } });
  expect((await vault.provider.stats()).tokenRequests).toBe(0);
});

it('each rotation restarts the refresh token lifetime', async () => {
  await vault.connectUser('rt-rotating');
  const first = (await storedRecord(vault, 'rt-rotating'))!;
  expect(first.refreshTokenExpiryAssumed).toBeUndefined();
  await sleep(2000);
  await ageAccessToken(vault, 'rt-rotating', -1000);
  expectOk(await vault.invoke('tokenFetch', { userId: 'rt-rotating' }));
  const second = (await storedRecord(vault, 'rt-rotating'))!;
  expect(second.refreshTokenExpiresAt).toBeGreaterThan(first.refreshTokenExpiresAt! + 1000);
  // Past the first refresh token's expiry, the rotated one still works.
  await waitPast(first.refreshTokenExpiresAt!);
  await ageAccessToken(vault, 'rt-rotating', -1000);
  expectOk(await vault.invoke('tokenFetch', { userId: 'rt-rotating' }));
  expect(await vault.provider.stats()).toMatchObject({ reuseDetected: 0, refreshFailures: 0 });
});

describe('an expiry the vault only assumed (the provider states none)', () => {
  beforeAll(async () => vault.provider.setQuirks({}));

  it('is stored as assumed, and past it the vault still asks the provider: invalid_grant ends the connection', async () => {
    await vault.connectUser('rt-assumed');
    const connected = (await storedRecord(vault, 'rt-assumed'))!;
    expect(connected.refreshTokenExpiryAssumed).toBe(true);
    expect(connected.refreshTokenExpiresAt! - connected.accessTokenIssuedAt!).toBe(REFRESH_TTL_SECONDS * 1000);
    // Past the expiry here and at the provider (whose refresh tokens live as long as the vault assumed).
    await waitPast(connected.refreshTokenExpiresAt!);
    await ageAccessToken(vault, 'rt-assumed', -1000);
    await vault.provider.resetStats();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => vault.invoke('tokenFetch', { userId: 'rt-assumed' })),
    );
    for (const answer of answers)
      expect(answer).toMatchObject({ ok: false, error: { code: 'reauthorization_required', retryable: false } });
    expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 1, refreshFailures: 1, refreshGrants: 0 });
    expect(await storedRecord(vault, 'rt-assumed')).toMatchObject({
      status: 'reauthorization_required',
      reauthorizationReason: 'invalid_grant',
    });
  });

  it('past the assumed expiry, a refresh token the provider still takes keeps the user connected', async () => {
    await vault.connectUser('rt-assumed-live');
    // As if the assumed lifetime had passed; the provider's token is seconds old.
    await patchRecord(vault, 'rt-assumed-live', { refreshTokenExpiresAt: Date.now() - 1000 });
    await ageAccessToken(vault, 'rt-assumed-live', -1000);
    await vault.provider.resetStats();
    expectOk(await vault.invoke('tokenFetch', { userId: 'rt-assumed-live' }));
    expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0 });
    const after = (await storedRecord(vault, 'rt-assumed-live'))!;
    expect(after).toMatchObject({ status: 'active', refreshTokenExpiryAssumed: true });
    expect(after.refreshTokenExpiresAt).toBeGreaterThan(Date.now());
  });
});
