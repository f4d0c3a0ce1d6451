/**
 * `refresh` after a 401 (`rejectedAccessToken`, docs/contract.md) and revocation racing a refresh: a stale rejected
 * token gets the stored one without a provider call, the current one is refreshed once however many callers
 * report it, a token rejected moments after it was issued is not refreshed again at once, and once `revoke` has
 * answered no token-fetch returns the connection's token.
 */
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { registerSensitive } from '../support/leak-guard';
import {
  ageAccessToken,
  closeContainer,
  expectOk,
  expectSameToken,
  openStoredAccessToken,
  openStoredRefreshToken,
  sleep,
  storedRecord,
  testDeadline,
  patchRecord,
} from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  // These tests force refreshes of tokens issued moments before; the minimum interval has a test of its own.
  vault = await startVault({ env: { [TUNABLES.forcedRefreshMinIntervalSeconds.env]: '0' } });
});
afterAll(async () => vault.close());
afterEach(async () => vault.provider.clearFaults());

async function connected(userId: string): Promise<string> {
  await vault.connectUser(userId);
  const answer = await vault.invoke('tokenFetch', { userId, minValiditySeconds: 0 });
  await vault.provider.resetStats();
  return String(answer.accessToken);
}

describe('refresh with rejectedAccessToken', () => {
  it('a stale rejected token (someone refreshed since) gets the stored token, without a provider call', async () => {
    const first = await connected('forced-stale');
    const second = await vault.invoke('refresh', { userId: 'forced-stale', rejectedAccessToken: first });
    expectOk(second);
    expectSameToken(second.accessToken, first, false);
    await vault.provider.resetStats();
    const again = await vault.invoke('refresh', { userId: 'forced-stale', rejectedAccessToken: first });
    expectOk(again);
    expectSameToken(again.accessToken, second.accessToken);
    expect((await vault.provider.stats()).tokenRequests).toBe(0);
  });

  it('the current token rejected by 40 callers in two containers: one refresh, all get the same new token', async () => {
    const current = await connected('forced-current');
    const version = (await storedRecord(vault, 'forced-current'))!.version;
    const env = { ...process.env, ...vault.env };
    const containers = [new Container(env), new Container(env)];
    try {
      const tokens = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          containers[i % 2]!.tokens().refresh(
            { userId: 'forced-current', applicationId: 'default', rejectedAccessToken: current },
            testDeadline(),
          ),
        ),
      );
      registerSensitive(tokens[0]!.accessToken);
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
      expectSameToken(tokens[0]!.accessToken, current, false);
      expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0 });
      expect((await storedRecord(vault, 'forced-current'))!.version).toBe(version + 1);
    } finally {
      for (const c of containers) closeContainer(c);
    }
  });

  it('refresh without rejectedAccessToken refreshes now, even when the stored token is fresh', async () => {
    const first = await connected('forced-blank');
    const answer = await vault.invoke('refresh', { userId: 'forced-blank' });
    expectOk(answer);
    expectSameToken(answer.accessToken, first, false);
    expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1 });
  });

  it('the rejected token is never handed back as the answer when the refresh fails', async () => {
    const current = await connected('forced-down');
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 3 });
    const answer = await vault.invoke('refresh', { userId: 'forced-down', rejectedAccessToken: current });
    expect(answer).toMatchObject({ ok: false, error: { code: 'provider_unavailable', retryable: true } });
    // During the cool-down: still no second provider call, and still not the rejected token.
    const again = await vault.invoke('refresh', { userId: 'forced-down', rejectedAccessToken: current });
    expect(again).toMatchObject({ ok: false, error: { code: 'provider_unavailable' } });
    expect((await vault.provider.stats()).tokenRequests).toBe(3);
    // A plain token-fetch still gets the (unexpired) token: only the caller that saw it rejected is refused it.
    const plain = await vault.invoke('tokenFetch', { userId: 'forced-down', minValiditySeconds: 0 });
    expectOk(plain);
    expectSameToken(plain.accessToken, current);
  });
});

describe('the minimum interval between forced refreshes (forcedRefreshMinIntervalSeconds)', () => {
  it('a token a forced refresh issued moments ago, rejected again: rate_limited with retryAfterSeconds, no provider call; later it is refreshed', async () => {
    const current = await connected('forced-young');
    // A container of this vault with the default interval (30 s); the vault's own handlers run with 0.
    const container = new Container({
      ...process.env,
      ...vault.env,
      [TUNABLES.forcedRefreshMinIntervalSeconds.env]: '30',
    });
    try {
      const refresh = (rejectedAccessToken?: string) =>
        container.tokens().refresh(
          {
            userId: 'forced-young',
            applicationId: 'default',
            ...(rejectedAccessToken === undefined ? {} : { rejectedAccessToken }),
          },
          testDeadline(),
        );
      // The first forced refresh after a connect is always made: a revoked grant must learn it is revoked.
      const first = await refresh(current);
      registerSensitive(first.accessToken);
      expectSameToken(first.accessToken, current, false);
      expect((await vault.provider.stats()).refreshGrants).toBe(1);
      const before = (await storedRecord(vault, 'forced-young'))!;
      const refused = await refresh(first.accessToken).then(
        () => undefined,
        (error: { code?: string; retryAfterSeconds?: number }) => error,
      );
      expect(refused).toMatchObject({ code: 'rate_limited', retryable: true });
      expect(refused!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(refused!.retryAfterSeconds).toBeLessThanOrEqual(30);
      // Without a rejected token, the token the forced refresh just made is what a fresh one would be.
      const young = await refresh();
      expectSameToken(young.accessToken, first.accessToken);
      expect((await vault.provider.stats()).refreshGrants).toBe(1);
      expect((await storedRecord(vault, 'forced-young'))!.version).toBe(before.version);

      // Once the interval has passed, the same rejected token is refreshed.
      await patchRecord(vault, 'forced-young', { lastForcedRefreshAt: Date.now() - 31_000 });
      const refreshed = await refresh(first.accessToken);
      registerSensitive(refreshed.accessToken);
      expectSameToken(refreshed.accessToken, first.accessToken, false);
      expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 2, reuseDetected: 0 });
    } finally {
      closeContainer(container);
    }
  });
});

describe('a connection without a refresh token', () => {
  it('a forced refresh answers reauthorization_required and leaves the connection as it is while its access token is valid', async () => {
    // A provider that issues no refresh token without access_type=offline (Google); the vault does not ask for it.
    await vault.provider.setQuirks({ refreshTokenRequiresOfflineAccess: true });
    try {
      await vault.connectUser('no-refresh-token');
    } finally {
      await vault.provider.setQuirks({});
    }
    const before = (await storedRecord(vault, 'no-refresh-token'))!;
    expect(before).toMatchObject({ status: 'active' });
    expect(before.refreshToken).toBeUndefined();
    const token = await openStoredAccessToken(vault, 'no-refresh-token');
    await vault.provider.resetStats();

    for (const request of [
      { userId: 'no-refresh-token' },
      { userId: 'no-refresh-token', rejectedAccessToken: token },
    ]) {
      expect(await vault.invoke('refresh', request)).toMatchObject({
        ok: false,
        error: { code: 'reauthorization_required', retryable: false },
      });
    }
    expect(await storedRecord(vault, 'no-refresh-token')).toEqual(before);
    // The token the API still takes keeps being served to token-fetch.
    const fetched = await vault.invoke('tokenFetch', { userId: 'no-refresh-token', minValiditySeconds: 0 });
    expectOk(fetched);
    expectSameToken(fetched.accessToken, token);
    expect((await vault.provider.stats()).tokenRequests).toBe(0);

    // Once it has expired, the connection has ended: reauthorization_required, and the connection says why.
    await ageAccessToken(vault, 'no-refresh-token', -1000);
    expect(await vault.invoke('refresh', { userId: 'no-refresh-token' })).toMatchObject({
      ok: false,
      error: { code: 'reauthorization_required' },
    });
    expect(await storedRecord(vault, 'no-refresh-token')).toMatchObject({
      status: 'reauthorization_required',
      reauthorizationReason: 'no_refresh_token',
    });
    expect((await vault.provider.stats()).tokenRequests).toBe(0);
  });
});

describe('rotation', () => {
  it('an answer without a refresh token (or scope) keeps the stored refresh token, its expiry and the scope (RFC 6749 §6)', async () => {
    await connected('no-rotation');
    await ageAccessToken(vault, 'no-rotation', -1000);
    const before = (await storedRecord(vault, 'no-rotation'))!;
    const refreshBefore = await openStoredRefreshToken(vault, 'no-rotation');
    // A provider that does not rotate: access token only (this answer never reaches oidc-provider).
    const accessToken = `not-rotated-${Date.now()}`;
    await vault.provider.injectFault({
      endpoint: 'token',
      mode: 'missing_fields',
      body: { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 },
    });
    const answer = await vault.invoke('tokenFetch', { userId: 'no-rotation' });
    expectOk(answer);
    expectSameToken(answer.accessToken, accessToken);
    expect(answer.scope).toBe('read write');
    const after = (await storedRecord(vault, 'no-rotation'))!;
    expect(after.version).toBe(before.version + 1);
    expect(after.scope).toBe('read write');
    expect(after.refreshTokenExpiresAt).toBe(before.refreshTokenExpiresAt);
    const refreshAfter = await openStoredRefreshToken(vault, 'no-rotation');
    expectSameToken(refreshAfter, refreshBefore);
    // The kept refresh token is still the live one at the provider.
    await ageAccessToken(vault, 'no-rotation', -1000);
    expectOk(await vault.invoke('tokenFetch', { userId: 'no-rotation' }));
    expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 1, reuseDetected: 0, refreshFailures: 0 });
  });
});

describe('revocation is immediate', () => {
  it('revoke while another caller refreshes: the refresh does not hand out a token after revoke answered', async () => {
    await connected('revoke-race');
    await ageAccessToken(vault, 'revoke-race', -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'slow', delayMs: 1000 });
    const refreshing = vault
      .invoke('tokenFetch', { userId: 'revoke-race' })
      .then((answer) => ({ answer, at: Date.now() }));
    // Wait until the refresh holds its lease (its provider call is under way).
    while ((await storedRecord(vault, 'revoke-race'))?.leaseOwner === undefined) await sleep(10);
    expect(await vault.invoke('revoke', { userId: 'revoke-race', reason: 'suspicious_activity' })).toEqual({
      ok: true,
      revoked: 1,
      providerPending: 0,
    });
    const revokedAt = Date.now();
    // Fetches after revoke answered, while the refresh is still in flight.
    const after = await Promise.all(
      Array.from({ length: 10 }, () => vault.invoke('tokenFetch', { userId: 'revoke-race' })),
    );
    for (const answer of after) expect(answer).toMatchObject({ ok: false, error: { code: 'not_connected' } });
    const { answer, at } = await refreshing;
    expect(at).toBeGreaterThan(revokedAt);
    expect(answer).toMatchObject({ ok: false, error: { code: 'not_connected' } });
    const record = (await storedRecord(vault, 'revoke-race'))!;
    expect(record).toMatchObject({ status: 'revoked', revocationReason: 'suspicious_activity' });
    for (const field of ['accessToken', 'refreshToken', 'encryptedDataKey', 'leaseOwner'] as const)
      expect(record[field]).toBeUndefined();
    expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 0, revocations: 1 });
  });

  it('no token-fetch started after revoke answered returns a token, under continuous load from two containers', async () => {
    await connected('revoke-load');
    const env = { ...process.env, ...vault.env };
    const containers = [new Container(env), new Container(env)];
    let revokedAt = Number.POSITIVE_INFINITY;
    let stop = false;
    const leaked: number[] = [];
    let served = 0;
    const loop = async (container: Container): Promise<void> => {
      while (!stop) {
        const started = Date.now();
        try {
          await container
            .tokens()
            .fetch({ userId: 'revoke-load', applicationId: 'default', minValiditySeconds: 0 }, testDeadline());
          served++;
          if (started > revokedAt) leaked.push(started);
        } catch {
          // not_connected once revoked
        }
      }
    };
    try {
      const loops = containers.flatMap((c) => [loop(c), loop(c), loop(c)]);
      await sleep(300);
      expect(await vault.invoke('revoke', { userId: 'revoke-load', reason: 'user_disconnected' })).toEqual({
        ok: true,
        revoked: 1,
        providerPending: 0,
      });
      revokedAt = Date.now();
      await sleep(500);
      stop = true;
      await Promise.all(loops);
      expect(served).toBeGreaterThan(0);
      expect(leaked).toEqual([]);
    } finally {
      stop = true;
      for (const c of containers) closeContainer(c);
    }
  });
});
