/**
 * A repeated `import` (its first answer lost: the AWS SDK retries Invoke after a connection reset, a migration tool
 * retries after a timeout) against a real provider with rotation and reuse detection (oidc-provider). The first
 * import used the given refresh token up; presenting it again would be reuse, and the provider would revoke the
 * grant the first import stored. A repeat is answered from the connection's import fingerprint instead: no
 * provider call, no write, the first answer. A reconnect, an import of another token or a revoke ends that.
 */
import { registerSensitive } from '../support/leak-guard';
import {
  ageAccessToken,
  expectOk,
  openStoredAccessToken,
  openStoredRefreshToken,
  storedRecord,
} from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;
beforeAll(async () => {
  vault = await startVault();
}, 120_000);
afterAll(async () => vault?.close());

const importConnection = (payload: Record<string, unknown>) => vault.invoke('importConnection', payload);

/** A live refresh token from "the old store": a connection made for `source`, its token opened. */
async function legacyRefreshToken(source: string): Promise<string> {
  await vault.connectUser(source);
  const token = await openStoredRefreshToken(vault, source);
  registerSensitive(token);
  return token;
}

/**
 * The user's connection item as stored, for "nothing written", without the use mark and due time of the `used`
 * policy: a token-fetch's mark whose answer came late on a busy machine may land after the fetch answered.
 */
async function item(userId: string): Promise<string> {
  const stored: Record<string, unknown> = { ...(await storedRecord(vault, userId)) };
  const { lastFetchedAt: _fetched, refreshDueAt: _due, ...rest } = stored;
  return JSON.stringify(rest);
}

it('regression: a repeated import with replace: true (first answer lost) does not log the user out', async () => {
  const legacy = await legacyRefreshToken('rep-src-1');
  const payload = { userId: 'rep-1', refreshToken: legacy, replace: true };
  const first = await importConnection(payload);
  expect(first).toMatchObject({ ok: true, replaced: false, validated: true });
  const successor = await openStoredRefreshToken(vault, 'rep-1');
  registerSensitive(successor);
  const before = await item('rep-1');
  await vault.provider.resetStats();

  const repeated = await importConnection(payload);
  expect(repeated).toEqual(first);
  expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 0, reuseDetected: 0 });
  expect(await item('rep-1')).toBe(before);
  expect(await vault.server.isRefreshTokenActive(successor)).toBe(true);
  expectOk(await vault.invoke('tokenFetch', { userId: 'rep-1' }));
});

it('the fingerprint is stored, never the token; a repeat without replace is answered as the first one too', async () => {
  const legacy = await legacyRefreshToken('rep-src-2');
  const first = await importConnection({ userId: 'rep-2', refreshToken: legacy });
  expect(first).toMatchObject({ ok: true, replaced: false, validated: true });
  const stored = await storedRecord(vault, 'rep-2');
  expect(stored!.imported).toEqual({
    fingerprint: expect.stringMatching(/^[\w-]{43}$/),
    validated: true,
    replaced: false,
  });
  expect(JSON.stringify(stored)).not.toContain(legacy);
  await vault.provider.resetStats();
  expect(await importConnection({ userId: 'rep-2', refreshToken: legacy })).toEqual(first);
  expect((await vault.provider.stats()).tokenRequests).toBe(0);
});

it('a repeat after the connection was refreshed is still the same import: answered, the live grant untouched', async () => {
  const legacy = await legacyRefreshToken('rep-src-3');
  const payload = { userId: 'rep-3', refreshToken: legacy, replace: true };
  expectOk(await importConnection(payload));
  await ageAccessToken(vault, 'rep-3', -1000);
  expectOk(await vault.invoke('tokenFetch', { userId: 'rep-3' }));
  const refreshed = await openStoredRefreshToken(vault, 'rep-3');
  registerSensitive(refreshed);
  const before = await item('rep-3');
  await vault.provider.resetStats();

  const repeated = await importConnection(payload);
  expect(repeated).toMatchObject({ ok: true, replaced: false, validated: true });
  expect(Date.parse(String(repeated.accessTokenExpiresAt))).toBeGreaterThan(Date.now());
  expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 0, reuseDetected: 0 });
  expect(await item('rep-3')).toBe(before);
  expect(await vault.server.isRefreshTokenActive(refreshed)).toBe(true);
});

it('validate: false: a repeat after a refresh does not put the used-up token back', async () => {
  const legacy = await legacyRefreshToken('rep-src-4');
  const accessToken = await openStoredAccessToken(vault, 'rep-src-4');
  const expiresAt = new Date(Date.now() - 1000).toISOString();
  const payload = { userId: 'rep-4', refreshToken: legacy, accessToken, expiresAt, validate: false, replace: true };
  expect(await importConnection(payload)).toMatchObject({ ok: true, validated: false });
  expectOk(await vault.invoke('tokenFetch', { userId: 'rep-4' }));
  const refreshed = await openStoredRefreshToken(vault, 'rep-4');
  expect(refreshed).not.toBe(legacy);
  registerSensitive(refreshed);

  expect(await importConnection(payload)).toMatchObject({ ok: true, validated: false, replaced: false });
  expect(await openStoredRefreshToken(vault, 'rep-4')).toBe(refreshed);
  expect(await vault.server.isRefreshTokenActive(refreshed)).toBe(true);
});

it('another token is a new import, and a reconnect removes the mark: the same token then meets the active connection', async () => {
  const first = await legacyRefreshToken('rep-src-5');
  const second = await legacyRefreshToken('rep-src-6');
  expectOk(await importConnection({ userId: 'rep-5', refreshToken: first }));
  await vault.provider.resetStats();
  const other = await importConnection({ userId: 'rep-5', refreshToken: second, replace: true });
  expect(other).toMatchObject({ ok: true, replaced: true, validated: true });
  expect((await vault.provider.stats()).tokenRequests).toBe(1);

  await vault.connectUser('rep-5');
  expect((await storedRecord(vault, 'rep-5'))!.imported).toBeUndefined();
  await vault.provider.resetStats();
  expect(await importConnection({ userId: 'rep-5', refreshToken: second })).toMatchObject({
    ok: false,
    error: { code: 'invalid_request', message: expect.stringContaining('replace') },
  });
  expect((await vault.provider.stats()).tokenRequests).toBe(0);
});

it('a repeat after a revoke brings nothing back: reauthorization_required, no provider call, nothing written', async () => {
  const legacy = await legacyRefreshToken('rep-src-7');
  const accessToken = await openStoredAccessToken(vault, 'rep-src-7');
  const raw = { userId: 'rep-7', refreshToken: legacy, accessToken, validate: false, replace: true };
  const payloads = [
    { userId: 'rep-6', refreshToken: legacy, replace: true },
    { ...raw, expiresAt: new Date(Date.now() + 60_000).toISOString() },
  ];
  for (const payload of payloads) {
    expectOk(await importConnection(payload));
    expect(await vault.invoke('revoke', { userId: payload.userId, reason: 'user_disconnected' })).toMatchObject({
      ok: true,
      revoked: 1,
    });
    const before = await item(payload.userId);
    await vault.provider.resetStats();
    expect(await importConnection(payload)).toMatchObject({
      ok: false,
      error: { code: 'reauthorization_required', message: expect.stringContaining('revoked') },
    });
    expect((await vault.provider.stats()).tokenRequests).toBe(0);
    expect(await item(payload.userId)).toBe(before);
    expect(await vault.invoke('tokenFetch', { userId: payload.userId })).toMatchObject({
      ok: false,
      error: { code: 'not_connected' },
    });
  }
});
