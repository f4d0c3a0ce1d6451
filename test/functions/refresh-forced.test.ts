/**
 * `refresh` after a 401 (`rejectedAccessToken`, CONTRACT.md) and revocation racing a refresh: a stale rejected
 * token gets the stored one without a provider call, the current one is refreshed once however many callers
 * report it, and once `revoke` has answered no token-fetch returns the connection's token.
 */
import { Container } from '../../functions/runtime/container';
import { registerSensitive } from '../support/leak-guard';
import { ageAccessToken, closeContainer, expectOk, expectSameToken, sleep, storedRecord } from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  vault = await startVault();
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
        Array.from({ length: 40 }, (_, i) => containers[i % 2]!.tokens().refresh({ userId: 'forced-current', applicationId: 'default', rejectedAccessToken: current })),
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

describe('rotation', () => {
  it('an answer without a refresh token (or scope) keeps the stored refresh token, its expiry and the scope (RFC 6749 §6)', async () => {
    await connected('no-rotation');
    await ageAccessToken(vault, 'no-rotation', -1000);
    const before = (await storedRecord(vault, 'no-rotation'))!;
    const refreshBefore = await vault.container.cipher().open(before, before.encryptedDataKey!, 'refreshToken', before.refreshToken!);
    registerSensitive(refreshBefore);
    // A provider that does not rotate: access token only (this answer never reaches oidc-provider).
    const accessToken = `not-rotated-${Date.now()}`;
    await vault.provider.injectFault({ endpoint: 'token', mode: 'missing_fields', body: { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 } });
    const answer = await vault.invoke('tokenFetch', { userId: 'no-rotation' });
    expectOk(answer);
    expectSameToken(answer.accessToken, accessToken);
    expect(answer.scope).toBe('read write');
    const after = (await storedRecord(vault, 'no-rotation'))!;
    expect(after.version).toBe(before.version + 1);
    expect(after.scope).toBe('read write');
    expect(after.refreshTokenExpiresAt).toBe(before.refreshTokenExpiresAt);
    const refreshAfter = await vault.container.cipher().open(after, after.encryptedDataKey!, 'refreshToken', after.refreshToken!);
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
    const refreshing = vault.invoke('tokenFetch', { userId: 'revoke-race' }).then((answer) => ({ answer, at: Date.now() }));
    // Wait until the refresh holds its lease (its provider call is under way).
    while ((await storedRecord(vault, 'revoke-race'))?.leaseOwner === undefined) await sleep(10);
    expect(await vault.invoke('revoke', { userId: 'revoke-race', reason: 'suspicious_activity' })).toEqual({ ok: true, revoked: 1 });
    const revokedAt = Date.now();
    // Fetches after revoke answered, while the refresh is still in flight.
    const after = await Promise.all(Array.from({ length: 10 }, () => vault.invoke('tokenFetch', { userId: 'revoke-race' })));
    for (const answer of after) expect(answer).toMatchObject({ ok: false, error: { code: 'not_connected' } });
    const { answer, at } = await refreshing;
    expect(at).toBeGreaterThan(revokedAt);
    expect(answer).toMatchObject({ ok: false, error: { code: 'not_connected' } });
    const record = (await storedRecord(vault, 'revoke-race'))!;
    expect(record).toMatchObject({ status: 'revoked', revocationReason: 'suspicious_activity' });
    for (const field of ['accessToken', 'refreshToken', 'encryptedDataKey', 'leaseOwner'] as const) expect(record[field]).toBeUndefined();
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
          await container.tokens().fetch({ userId: 'revoke-load', applicationId: 'default', minValiditySeconds: 0 });
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
      expect(await vault.invoke('revoke', { userId: 'revoke-load', reason: 'user_disconnected' })).toEqual({ ok: true, revoked: 1 });
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
