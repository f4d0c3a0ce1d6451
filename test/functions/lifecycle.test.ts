/**
 * The whole token lifecycle through the handlers, against moto and each real authorization server (oidc-provider
 * and Keycloak, both with rotation and reuse detection): connect -> callback -> token-fetch -> refresh with
 * rotation -> invalid_grant -> revoke.
 */
import {
  ageAccessToken,
  openStoredRefreshToken,
  sleep,
  storedRecord,
  testDeadline,
  type StoredItem,
} from '../support/refresh';
import { RETURN_TO, startVault, type AnyVault, type ServerKind } from '../support/vault';

interface ServerCase {
  readonly server: ServerKind;
  readonly accessTokenTtlSeconds: number;
  /** The scopes of the token-fetch answer. */
  readonly scopes: readonly string[];
  /**
   * Makes a connected user's access token expired for the vault. oidc-provider's tokens live 2 s and are waited
   * out; Keycloak's stored token is aged instead (waiting out Keycloak's whole-second lifetimes costs more time).
   */
  expire(vault: AnyVault, userId: string): Promise<void>;
}

const CASES: readonly ServerCase[] = [
  { server: 'oidc-provider', accessTokenTtlSeconds: 2, scopes: ['read', 'write'], expire: () => sleep(2100) },
  {
    server: 'keycloak',
    accessTokenTtlSeconds: 300,
    // Keycloak adds the client's default scopes (profile, email) to the requested `openid offline_access`.
    scopes: ['email', 'offline_access', 'openid', 'profile'],
    expire: (vault, userId) => ageAccessToken(vault, userId, -1000),
  },
];

describe.each(CASES)('against $server', ({ server, accessTokenTtlSeconds, scopes, expire }) => {
  let vault: AnyVault;

  beforeAll(async () => {
    vault = await startVault({ server, accessTokenTtlSeconds });
  });
  afterAll(async () => vault?.close());

  const stored = (userId: string, applicationId = 'default'): Promise<StoredItem | undefined> =>
    storedRecord(vault, userId, applicationId);
  const storedRefreshToken = (userId: string): Promise<string> => openStoredRefreshToken(vault, userId);

  describe('connect -> callback -> token-fetch', () => {
    it("returns the server's access token, never a refresh token", async () => {
      const started = await vault.invoke('connect', { userId: 'alice' });
      expect(started).toMatchObject({ ok: true });
      const url = new URL(String(started.authorizationUrl));
      expect(`${url.origin}${url.pathname}`).toBe(vault.server.authorizeUrl);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('state')!.length).toBeGreaterThanOrEqual(22);
      expect(Date.parse(String(started.expiresAt)) - Date.now()).toBeGreaterThan(9 * 60 * 1000);

      const response = await vault.authorizeAndCallback(url.toString(), { loginHint: 'alice' });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('connected');

      const answer = await vault.invoke('tokenFetch', { userId: 'alice', minValiditySeconds: 0 });
      expect(answer).toMatchObject({ ok: true, tokenType: 'Bearer' });
      expect(String(answer.scope).split(' ').sort()).toEqual(scopes);
      expect(Object.keys(answer).sort()).toEqual(['accessToken', 'expiresAt', 'ok', 'scope', 'tokenType']);
      // The server's lifetime (whole seconds), counted from the code exchange a moment ago.
      const validFor = Date.parse(String(answer.expiresAt)) - Date.now();
      expect(validFor).toBeLessThanOrEqual(accessTokenTtlSeconds * 1000);
      expect(validFor).toBeGreaterThan(accessTokenTtlSeconds * 1000 - 30_000);
      expect(await vault.server.introspect(String(answer.accessToken))).toMatchObject({ active: true });
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
      const answer = await vault.invoke('connect', {
        userId: 'mallory',
        returnTo: 'https://evil.example.test/connected',
      });
      expect(answer).toEqual({
        ok: false,
        error: { code: 'invalid_request', message: "returnTo: not in the application's allow-list.", retryable: false },
      });
    });
  });

  describe('refresh on expiry', () => {
    it('refreshes an expired token once and stores the rotated refresh token', async () => {
      await vault.connectUser('carol');
      const first = await vault.invoke('tokenFetch', { userId: 'carol', minValiditySeconds: 0 });
      const refreshBefore = await storedRefreshToken('carol');
      await vault.server.resetStats();
      await expire(vault, 'carol');
      const second = await vault.invoke('tokenFetch', { userId: 'carol' });
      expect(second).toMatchObject({ ok: true });
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(Date.parse(String(second.expiresAt))).toBeGreaterThan(Date.now());
      expect(await vault.server.stats()).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
      const refreshAfter = await storedRefreshToken('carol');
      expect(refreshAfter).not.toBe(refreshBefore);
      expect((await stored('carol'))!.version).toBe(2);
      // The rotated token works: the next refresh succeeds (the old one would have revoked the grant).
      await expire(vault, 'carol');
      expect(await vault.invoke('tokenFetch', { userId: 'carol' })).toMatchObject({ ok: true });
      expect(await vault.server.stats()).toMatchObject({ refreshGrants: 2, reuseDetected: 0, refreshFailures: 0 });
      // The stored token is the live one (introspection does not use it up). Whether the rotated-out one is refused
      // is the server's reuse detection, checked in test/providers/keycloak.test.ts: Keycloak's is whole-second.
      expect(await vault.server.isRefreshTokenActive(await storedRefreshToken('carol'))).toBe(true);
    });

    it("answers reauthorization_required after invalid_grant (the user's sessions ended at the server) and keeps that status", async () => {
      await vault.connectUser('dave');
      // oidc-provider: the account's grants withdrawn. Keycloak: the user's sessions ended, the offline one
      // included; its refresh then answers invalid_grant "Offline user session not found" ("Session not active"
      // for a refresh token without offline_access: test/providers/keycloak.test.ts).
      expect(await vault.server.endUserSessions('dave')).toBeGreaterThan(0);
      await vault.server.resetStats();
      await expire(vault, 'dave');
      const answer = await vault.invoke('tokenFetch', { userId: 'dave' });
      expect(answer).toEqual({
        ok: false,
        error: {
          code: 'reauthorization_required',
          message: 'The connection can no longer be refreshed; the user must authorize again (connect).',
          retryable: false,
        },
      });
      expect(await vault.server.stats()).toMatchObject({ tokenRequests: 1, refreshFailures: 1, reuseDetected: 0 });
      if (vault.kind === 'keycloak') {
        const [refused] = await vault.keycloak.events('REFRESH_TOKEN_ERROR');
        expect(refused).toMatchObject({
          error: 'invalid_token',
          details: { reason: 'Offline user session not found' },
        });
      }
      const record = (await stored('dave'))!;
      expect(record).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'invalid_grant' });
      expect(record.refreshToken).toBeUndefined();
      expect(record.accessToken).toBeUndefined();
      await vault.server.resetStats();
      expect(await vault.invoke('tokenFetch', { userId: 'dave' })).toMatchObject({
        ok: false,
        error: { code: 'reauthorization_required' },
      });
      expect((await vault.server.stats()).tokenRequests).toBe(0);
      // Connecting again restores the connection.
      await vault.connectUser('dave');
      expect(await vault.invoke('tokenFetch', { userId: 'dave', minValiditySeconds: 0 })).toMatchObject({ ok: true });
    });
  });

  describe('revoke', () => {
    it('revokes at the server, removes token material, records why, and is idempotent', async () => {
      await vault.connectUser('erin');
      const token = await vault.invoke('tokenFetch', { userId: 'erin', minValiditySeconds: 0 });
      const refreshToken = await storedRefreshToken('erin');
      expect(await vault.server.isRefreshTokenActive(refreshToken)).toBe(true);
      await vault.server.resetStats();
      expect(await vault.invoke('revoke', { userId: 'erin', reason: 'user_disconnected' })).toEqual({
        ok: true,
        revoked: 1,
        providerPending: 0,
      });
      expect((await vault.server.stats()).revocations).toBe(1);
      // The server no longer accepts the refresh token, and the access token went with it.
      expect(await vault.server.isRefreshTokenActive(refreshToken)).toBe(false);
      expect(await vault.server.introspect(String(token.accessToken))).toMatchObject({ active: false });
      expect(await vault.invoke('tokenFetch', { userId: 'erin' })).toMatchObject({
        ok: false,
        error: { code: 'not_connected', retryable: false },
      });
      const record = (await stored('erin'))!;
      expect(record).toMatchObject({ status: 'revoked', revocationReason: 'user_disconnected' });
      for (const field of ['accessToken', 'refreshToken', 'encryptedDataKey'] as const)
        expect(record[field]).toBeUndefined();
      expect(await vault.invoke('revoke', { userId: 'erin', reason: 'user_disconnected' })).toEqual({
        ok: true,
        revoked: 0,
        providerPending: 0,
      });
      expect((await vault.server.stats()).revocations).toBe(1);
      // A refresh with it is refused too (it is dead, so presenting it can revoke nothing more).
      expect(await vault.server.refreshGrant(refreshToken)).toMatchObject({ status: 400, error: 'invalid_grant' });
      const { records } = await vault.container.connections().listRevocations(testDeadline());
      expect(records.filter((r) => r.userId === 'erin')).toEqual([
        {
          userId: 'erin',
          applicationId: 'default',
          revokedAt: record.revokedAt,
          reason: 'user_disconnected',
          providerConfirmed: true,
        },
      ]);
    });

    it('revokes every connection of a user when no applicationId is given', async () => {
      await vault.connectUser('frank');
      const refreshToken = await storedRefreshToken('frank');
      expect(await vault.invoke('revoke', { userId: 'frank', reason: 'account_deactivated' })).toEqual({
        ok: true,
        revoked: 1,
        providerPending: 0,
      });
      expect(await vault.server.isRefreshTokenActive(refreshToken)).toBe(false);
      expect(await vault.invoke('revoke', { userId: 'nobody', reason: 'account_deactivated' })).toEqual({
        ok: true,
        revoked: 0,
        providerPending: 0,
      });
    });

    it('keeps the active-connections counter exact', async () => {
      const counts = await vault.container.connections().activeCounts(testDeadline());
      const active = (await vault.resources.scanAll(vault.resources.connectionsTable)).filter(
        (i) => i.status?.S === 'active',
      ).length;
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
});
