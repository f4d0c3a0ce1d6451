/**
 * What Keycloak 26 adds to the suites that run against both servers (test/functions/lifecycle, refresh-storm,
 * refresh-failures, through test/support/vault.ts): the details of its authorization flow (PKCE required, `iss`,
 * `offline_access` asked for), its reuse detection checked directly at its token endpoint, and a connection
 * without `offline_access`, whose refresh tokens carry a positive `refresh_expires_in` and end with the SSO session.
 *
 * Two vaults, each a realm of its own in the run's Keycloak: `vault` asks for `openid offline_access` (what a
 * vault needs), `online` for `openid` only and authenticates with client_secret_basic.
 */
import { registerSensitive } from '../support/leak-guard';
import { expectOk, expectSameToken, openStoredRefreshToken, sleep, storedRecord } from '../support/refresh';
import { callbackEvent, fakeContext, REDIRECT_URI, RETURN_TO, startVault, type KeycloakVault } from '../support/vault';

let vault: KeycloakVault;
let online: KeycloakVault;

// `refresh` must go to Keycloak even for a token issued a moment ago.
const env = { TOKEN_VAULT_FORCED_REFRESH_MIN_INTERVAL_SECONDS: '0' };

beforeAll(async () => {
  const [offlineVault, onlineVault] = await Promise.allSettled([
    startVault({ server: 'keycloak', env }),
    startVault({ server: 'keycloak', env, scopes: ['openid'], tokenEndpointAuth: 'client_secret_basic' }),
  ]);
  if (offlineVault.status === 'fulfilled') vault = offlineVault.value;
  if (onlineVault.status === 'fulfilled') online = onlineVault.value;
  for (const started of [offlineVault, onlineVault]) if (started.status === 'rejected') throw started.reason;
});

afterAll(async () => {
  await Promise.all([vault?.close(), online?.close()]);
});

/** Keycloak's `iat` and its refresh-token reuse check count whole seconds: waits until the next one begins. */
const nextSecond = (): Promise<void> => sleep(1050 - (Date.now() % 1000));

describe('the realm', () => {
  it('requires PKCE from the client', async () => {
    const url = new URL(vault.server.authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: vault.server.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 'no-pkce',
    }).toString();
    const redirect = await vault.keycloak.login(url.toString(), 'alice');
    expect(redirect.searchParams.get('error')).toBe('invalid_request');
    expect(redirect.searchParams.get('code')).toBeNull();
  });
});

describe('with offline_access', () => {
  it('connect -> Keycloak login -> callback: PKCE, offline_access, iss and state as sent', async () => {
    const started = await vault.invoke('connect', { userId: 'alice', returnTo: RETURN_TO });
    expectOk(started);
    const url = new URL(String(started.authorizationUrl));
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']));

    const redirect = await vault.keycloak.login(url.toString(), 'alice');
    registerSensitive(redirect.searchParams.get('code') ?? undefined, redirect.searchParams.get('state') ?? undefined);
    expect(redirect.searchParams.get('iss')).toBe(vault.server.issuer);
    expect(redirect.searchParams.get('state')).toBe(url.searchParams.get('state'));
    const response = await vault.handlers.callback(
      callbackEvent(redirect.searchParams.toString()),
      fakeContext('callback'),
    );
    // Needs the OAuth client to read Keycloak's `"refresh_expires_in": 0` (offline tokens) as "no expiry stated".
    expect(new URL(String(response.headers?.location)).searchParams.get('status')).toBe('connected');
    expect((await vault.server.stats()).authorizationCodeGrants).toBe(1);
    const stored = (await storedRecord(vault, 'alice'))!;
    expect(stored.refreshTokenExpiryAssumed).toBe(true);

    const answer = await vault.invoke('tokenFetch', { userId: 'alice', minValiditySeconds: 0 });
    expectOk(answer);
    expect(await vault.server.introspect(String(answer.accessToken))).toMatchObject({
      active: true,
      username: 'alice',
    });
  });

  it('a forced refresh is one refresh at Keycloak, which rotates the refresh token; the old one is refused and ends the grant', async () => {
    await vault.connectUser('carol');
    const first = await vault.invoke('tokenFetch', { userId: 'carol', minValiditySeconds: 0 });
    expectOk(first);
    const before = await openStoredRefreshToken(vault, 'carol');
    // Keycloak refuses a rotated-out token only when it was issued in an earlier second than the last refresh.
    await nextSecond();
    await vault.server.resetStats();

    const refreshed = await vault.invoke('refresh', {
      userId: 'carol',
      rejectedAccessToken: String(first.accessToken),
    });
    expectOk(refreshed);
    expectSameToken(refreshed.accessToken, first.accessToken, false);
    expect(await vault.server.stats()).toMatchObject({ refreshGrants: 1, refreshFailures: 0 });
    const after = await openStoredRefreshToken(vault, 'carol');
    expectSameToken(after, before, false);

    // Reuse protection: the rotated-out token is refused...
    expect(await vault.server.refreshGrant(before)).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(await vault.server.stats()).toMatchObject({ refreshGrants: 1, refreshFailures: 1 });
    // ...and, as reuse detection should, that ended the grant: the vault's current token is dead too, so the vault
    // asks for re-authorization instead of serving or retrying.
    const next = await vault.invoke('refresh', { userId: 'carol' });
    expect(next).toMatchObject({ ok: false, error: { code: 'reauthorization_required', retryable: false } });
    expect(await vault.server.refreshGrant(after)).toMatchObject({ status: 400, error: 'invalid_grant' });
  });
});

describe('without offline_access (positive refresh_expires_in)', () => {
  it("connects through Keycloak's login, fetches, and refreshes with rotation", async () => {
    await online.connectUser('bob');
    const stored = (await storedRecord(online, 'bob'))!;
    // Keycloak's refresh_expires_in is the realm's SSO idle timeout (600 s).
    expect(stored.refreshTokenExpiryAssumed).toBeUndefined();
    expect(stored.refreshTokenExpiresAt! - Date.now()).toBeGreaterThan(590_000);
    expect(stored.refreshTokenExpiresAt! - Date.now()).toBeLessThanOrEqual(600_000);

    const first = await online.invoke('tokenFetch', { userId: 'bob', minValiditySeconds: 0 });
    expectOk(first);
    expect(String(first.scope).split(' ')).not.toContain('offline_access');
    expect(await online.server.introspect(String(first.accessToken))).toMatchObject({ active: true, username: 'bob' });

    const before = await openStoredRefreshToken(online, 'bob');
    await online.server.resetStats();
    const refreshed = await online.invoke('refresh', { userId: 'bob' });
    expectOk(refreshed);
    expectSameToken(refreshed.accessToken, first.accessToken, false);
    expect((await online.server.stats()).refreshGrants).toBe(1);
    expectSameToken(await openStoredRefreshToken(online, 'bob'), before, false);
  });

  it('ended sessions: invalid_grant "Session not active", reauthorization_required until the user connects again', async () => {
    await online.connectUser('dave');
    expect(await online.server.endUserSessions('dave')).toBeGreaterThan(0);
    await online.server.resetStats();
    expect(await online.invoke('refresh', { userId: 'dave' })).toMatchObject({
      ok: false,
      error: { code: 'reauthorization_required', retryable: false },
    });
    const refused = await online.keycloak.events('REFRESH_TOKEN_ERROR');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ error: 'invalid_token', details: { reason: 'Session not active' } });
    expect(await online.invoke('tokenFetch', { userId: 'dave' })).toMatchObject({
      ok: false,
      error: { code: 'reauthorization_required' },
    });
    expect((await online.server.stats()).tokenRequests).toBe(1);
    await online.connectUser('dave');
    expectOk(await online.invoke('tokenFetch', { userId: 'dave', minValiditySeconds: 0 }));
  });
});
