/**
 * The whole token lifecycle through the handlers, against moto and a real oidc-provider (rotation and reuse
 * detection on): connect -> callback -> token-fetch -> refresh with rotation -> invalid_grant -> revoke.
 */
import { openStoredRefreshToken, storedRecord, testDeadline, type StoredItem } from '../support/refresh';
import { RETURN_TO, startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  vault = await startVault({ accessTokenTtlSeconds: 2 });
});
afterAll(async () => vault.close());

const stored = (userId: string, applicationId = 'default'): Promise<StoredItem | undefined> => storedRecord(vault, userId, applicationId);
const storedRefreshToken = (userId: string): Promise<string> => openStoredRefreshToken(vault, userId);

async function introspect(token: string): Promise<{ active: boolean }> {
  const clientId = (JSON.parse(vault.env.TOKEN_VAULT_APPLICATIONS!) as Array<{ clientId: string }>)[0]!.clientId;
  const response = await fetch(vault.provider.introspectionUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: clientId, client_secret: vault.clientSecret }).toString(),
  });
  return (await response.json()) as { active: boolean };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('connect -> callback -> token-fetch', () => {
  it('returns the provider\'s access token, never a refresh token', async () => {
    const started = await vault.invoke('connect', { userId: 'alice' });
    expect(started).toMatchObject({ ok: true });
    const url = new URL(String(started.authorizationUrl));
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')!.length).toBeGreaterThanOrEqual(22);
    expect(Date.parse(String(started.expiresAt)) - Date.now()).toBeGreaterThan(9 * 60 * 1000);

    const response = await vault.authorizeAndCallback(url.toString(), { loginHint: 'alice' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('connected');

    const answer = await vault.invoke('tokenFetch', { userId: 'alice', minValiditySeconds: 0 });
    expect(answer).toMatchObject({ ok: true, tokenType: 'Bearer', scope: 'read write' });
    expect(Object.keys(answer).sort()).toEqual(['accessToken', 'expiresAt', 'ok', 'scope', 'tokenType']);
    expect(await introspect(String(answer.accessToken))).toMatchObject({ active: true });
    const record = (await stored('alice'))!;
    expect(record).toMatchObject({ status: 'active', version: 1 });
  });

  it('redirects to an allowed returnTo with status=connected', async () => {
    const started = await vault.invoke('connect', { userId: 'bob', returnTo: `${RETURN_TO}?tab=1` });
    const response = await vault.authorizeAndCallback(String(started.authorizationUrl), { loginHint: 'bob' });
    expect(response.statusCode).toBe(302);
    const location = new URL(String(response.headers!.location));
    expect(`${location.origin}${location.pathname}`).toBe(RETURN_TO);
    expect(location.searchParams.get('status')).toBe('connected');
    expect(location.searchParams.get('tab')).toBe('1');
    expect([...location.searchParams.keys()].sort()).toEqual(['status', 'tab']);
  });

  it('refuses a returnTo outside the allow-list before writing anything', async () => {
    const answer = await vault.invoke('connect', { userId: 'mallory', returnTo: 'https://evil.example.test/connected' });
    expect(answer).toEqual({ ok: false, error: { code: 'invalid_request', message: "returnTo: not in the application's allow-list.", retryable: false } });
  });
});

describe('refresh on expiry', () => {
  it('refreshes an expired token once and stores the rotated refresh token', async () => {
    await vault.connectUser('carol');
    const first = await vault.invoke('tokenFetch', { userId: 'carol', minValiditySeconds: 0 });
    const refreshBefore = await storedRefreshToken('carol');
    await vault.provider.resetStats();
    await sleep(2100);
    const second = await vault.invoke('tokenFetch', { userId: 'carol' });
    expect(second).toMatchObject({ ok: true });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(Date.parse(String(second.expiresAt))).toBeGreaterThan(Date.now());
    const stats = await vault.provider.stats();
    expect(stats).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
    const refreshAfter = await storedRefreshToken('carol');
    expect(refreshAfter).not.toBe(refreshBefore);
    expect((await stored('carol'))!.version).toBe(2);
    // The rotated token works: the next refresh succeeds (the old one would have revoked the grant).
    await sleep(2100);
    expect(await vault.invoke('tokenFetch', { userId: 'carol' })).toMatchObject({ ok: true });
    expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 2, reuseDetected: 0 });
  });

  it('answers reauthorization_required after invalid_grant and keeps that status', async () => {
    await vault.connectUser('dave');
    await vault.provider.revokeGrants('dave');
    await sleep(2100);
    const answer = await vault.invoke('tokenFetch', { userId: 'dave' });
    expect(answer).toEqual({
      ok: false,
      error: { code: 'reauthorization_required', message: 'The connection can no longer be refreshed; the user must authorize again (connect).', retryable: false },
    });
    const record = (await stored('dave'))!;
    expect(record).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'invalid_grant' });
    expect(record.refreshToken).toBeUndefined();
    expect(record.accessToken).toBeUndefined();
    await vault.provider.resetStats();
    expect(await vault.invoke('tokenFetch', { userId: 'dave' })).toMatchObject({ ok: false, error: { code: 'reauthorization_required' } });
    expect((await vault.provider.stats()).tokenRequests).toBe(0);
    // Connecting again restores the connection.
    await vault.connectUser('dave');
    expect(await vault.invoke('tokenFetch', { userId: 'dave', minValiditySeconds: 0 })).toMatchObject({ ok: true });
  });
});

describe('revoke', () => {
  it('revokes at the provider, removes token material, records why, and is idempotent', async () => {
    await vault.connectUser('erin');
    const token = await vault.invoke('tokenFetch', { userId: 'erin', minValiditySeconds: 0 });
    await vault.provider.resetStats();
    expect(await vault.invoke('revoke', { userId: 'erin', reason: 'user_disconnected' })).toEqual({ ok: true, revoked: 1, providerPending: 0 });
    expect((await vault.provider.stats()).revocations).toBe(1);
    expect(await introspect(String(token.accessToken))).toMatchObject({ active: false });
    expect(await vault.invoke('tokenFetch', { userId: 'erin' })).toMatchObject({ ok: false, error: { code: 'not_connected', retryable: false } });
    const record = (await stored('erin'))!;
    expect(record).toMatchObject({ status: 'revoked', revocationReason: 'user_disconnected' });
    for (const field of ['accessToken', 'refreshToken', 'encryptedDataKey'] as const) expect(record[field]).toBeUndefined();
    expect(await vault.invoke('revoke', { userId: 'erin', reason: 'user_disconnected' })).toEqual({ ok: true, revoked: 0, providerPending: 0 });
    expect((await vault.provider.stats()).revocations).toBe(1);
    const { records } = await vault.container.connections().listRevocations(testDeadline());
    expect(records.filter((r) => r.userId === 'erin')).toEqual([
      { userId: 'erin', applicationId: 'default', revokedAt: record.revokedAt, reason: 'user_disconnected', providerConfirmed: true },
    ]);
  });

  it('revokes every connection of a user when no applicationId is given', async () => {
    await vault.connectUser('frank');
    expect(await vault.invoke('revoke', { userId: 'frank', reason: 'account_deactivated' })).toEqual({ ok: true, revoked: 1, providerPending: 0 });
    expect(await vault.invoke('revoke', { userId: 'nobody', reason: 'account_deactivated' })).toEqual({ ok: true, revoked: 0, providerPending: 0 });
  });

  it('keeps the active-connections counter exact', async () => {
    const counts = await vault.container.connections().activeCounts(testDeadline());
    const active = (await vault.resources.scanAll(vault.resources.connectionsTable)).filter((i) => i.status?.S === 'active').length;
    expect(counts.default).toBe(active);
  });
});

describe('storage', () => {
  it('stores no plaintext token anywhere in the tables', async () => {
    await vault.connectUser('grace');
    const token = await vault.invoke('tokenFetch', { userId: 'grace', minValiditySeconds: 0 });
    const refreshToken = await storedRefreshToken('grace');
    const dump = JSON.stringify([
      await vault.resources.scanAll(vault.resources.connectionsTable),
      await vault.resources.scanAll(vault.resources.statesTable),
    ]);
    const asBase64 = (s: string) => Buffer.from(s).toString('base64');
    for (const secret of [String(token.accessToken), refreshToken, vault.clientSecret]) {
      expect(dump.includes(secret)).toBe(false);
      expect(dump.includes(asBase64(secret))).toBe(false);
    }
  });
});
