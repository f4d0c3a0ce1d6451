/**
 * `import` through the handlers against a real provider (oidc-provider): a refresh token issued outside the vault
 * (here: taken from another user's connection, as a migration would take it from the old store) becomes a
 * connection that serves, refreshes and revokes like any other. Refusals write nothing, and the refresh token
 * appears in no answer, event or stored attribute.
 */
import { EVENT_DETAIL_TYPES } from '@token-vault/cdk/functions/contract/events';
import { EventTap } from '../support/events';
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
let tap: EventTap;

beforeAll(async () => {
  vault = await startVault();
  tap = new EventTap(vault.resources.endpoint, vault.resources.eventTapQueueUrl);
});
afterAll(async () => {
  tap.close();
  await vault.close();
});

const importConnection = (payload: Record<string, unknown>) => vault.invoke('importConnection', payload);

/** A live refresh token from "the old store": a connection made for `source`, its token opened. */
async function legacyRefreshToken(source: string): Promise<string> {
  await vault.connectUser(source);
  const token = await openStoredRefreshToken(vault, source);
  registerSensitive(token);
  return token;
}

/** The raw table, for "nothing written" and "no plaintext" checks. */
async function table(): Promise<string> {
  return JSON.stringify(await vault.resources.scanAll(vault.resources.connectionsTable));
}

it('validates with one refresh, stores the rotated token sealed, and announces Connected { imported: true }', async () => {
  const legacy = await legacyRefreshToken('imp-src-1');
  await vault.provider.resetStats();
  const answer = await importConnection({ userId: 'imp-1', refreshToken: legacy });
  expect(answer).toMatchObject({
    ok: true,
    applicationId: 'default',
    replaced: false,
    validated: true,
    refreshTokenExpiresAt: 'unknown',
  });
  expect(Date.parse(String(answer.accessTokenExpiresAt))).toBeGreaterThan(Date.now());
  expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
  // The provider rotated it: the vault holds the successor, and the given token is used up.
  const stored = await openStoredRefreshToken(vault, 'imp-1');
  expect(stored).not.toBe(legacy);
  expect(await vault.server.isRefreshTokenActive(legacy)).toBe(false);
  expect(await vault.server.isRefreshTokenActive(stored)).toBe(true);
  const raw = await table();
  for (const secret of [legacy, stored, await openStoredAccessToken(vault, 'imp-1')]) {
    expect(raw).not.toContain(secret);
    expect(JSON.stringify(answer)).not.toContain(secret);
  }
  const events = await tap.of('imp-1');
  expect(events.map((e) => e['detail-type'])).toEqual([EVENT_DETAIL_TYPES.connected]);
  expect(events[0]!.detail).toMatchObject({
    via: 'import',
    imported: true,
    reconnected: false,
    connectionId: (await storedRecord(vault, 'imp-1'))!.connectionId,
  });
  expect(tap.bodies.join('\n')).not.toContain(legacy);

  // Served, refreshed and revoked like any other connection.
  expectOk(await vault.invoke('tokenFetch', { userId: 'imp-1' }));
  await ageAccessToken(vault, 'imp-1', -1000);
  await vault.provider.resetStats();
  expectOk(await vault.invoke('tokenFetch', { userId: 'imp-1' }));
  expect((await vault.provider.stats()).refreshGrants).toBe(1);
  expect(await vault.invoke('revoke', { userId: 'imp-1', reason: 'user_disconnected' })).toEqual({
    ok: true,
    revoked: 1,
    providerPending: 0,
  });
  expect(await vault.invoke('tokenFetch', { userId: 'imp-1' })).toMatchObject({
    ok: false,
    error: { code: 'not_connected' },
  });
});

it('a token the provider refuses: reauthorization_required, nothing written, no event', async () => {
  const before = await table();
  const answer = await importConnection({ userId: 'imp-dead', refreshToken: 'not-a-token-the-provider-issued' });
  expect(answer).toMatchObject({ ok: false, error: { code: 'reauthorization_required' } });
  expect(JSON.stringify(answer)).not.toContain('not-a-token-the-provider-issued');
  expect(await table()).toBe(before);
  expect(await tap.of('imp-dead')).toEqual([]);
});

it('an active connection is kept unless replace: true; the refusal asks the provider nothing and writes nothing', async () => {
  await vault.connectUser('imp-active');
  const legacy = await legacyRefreshToken('imp-src-2');
  await vault.provider.resetStats();
  const before = await table();
  const refused = await importConnection({ userId: 'imp-active', refreshToken: legacy });
  expect(refused).toMatchObject({
    ok: false,
    error: { code: 'invalid_request', message: expect.stringContaining('replace') },
  });
  expect((await vault.provider.stats()).tokenRequests).toBe(0);
  expect(await table()).toBe(before);
  await tap.drain();

  const replaced = await importConnection({ userId: 'imp-active', refreshToken: legacy, replace: true });
  expect(replaced).toMatchObject({ ok: true, replaced: true, validated: true });
  const connected = await tap.of('imp-active', EVENT_DETAIL_TYPES.connected);
  expect(connected.at(-1)!.detail).toMatchObject({ via: 'import', imported: true, reconnected: true });
});

it('validate: false stores the given access token as it is, without a provider call', async () => {
  const legacy = await legacyRefreshToken('imp-src-3');
  const accessToken = await openStoredAccessToken(vault, 'imp-src-3');
  await vault.provider.resetStats();
  const expiresAt = new Date(Date.now() + 30 * 60 * 1000).toISOString();
  const answer = await importConnection({
    userId: 'imp-raw',
    refreshToken: legacy,
    accessToken,
    expiresAt,
    validate: false,
    scope: 'read',
  });
  expect(answer).toMatchObject({ ok: true, validated: false, replaced: false });
  expect((await vault.provider.stats()).tokenRequests).toBe(0);
  const fetched = await vault.invoke('tokenFetch', { userId: 'imp-raw' });
  expectOk(fetched);
  expect(fetched.accessToken === accessToken).toBe(true);
  expect(fetched.scope).toBe('read');
  expect(await openStoredRefreshToken(vault, 'imp-raw')).toBe(legacy);
});

it.each([
  [
    'validate: false without accessToken',
    { userId: 'imp-bad', refreshToken: 'x-refresh-token-value', validate: false, expiresAt: '2030-01-01T00:00:00Z' },
    'accessToken',
  ],
  [
    'accessToken with a validating import',
    { userId: 'imp-bad', refreshToken: 'x-refresh-token-value', accessToken: 'x-access-token-value' },
    'accessToken',
  ],
  ['a refresh token with a newline', { userId: 'imp-bad', refreshToken: 'x-refresh-token\nvalue' }, 'refreshToken'],
  ['an unknown field', { userId: 'imp-bad', refreshToken: 'x-refresh-token-value', token: 'x' }, ''],
  [
    'an unknown application',
    { userId: 'imp-bad', applicationId: 'nope', refreshToken: 'x-refresh-token-value' },
    'applicationId',
  ],
  [
    'a bad expiresAt',
    {
      userId: 'imp-bad',
      refreshToken: 'x-refresh-token-value',
      validate: false,
      accessToken: 'x-access-token-value',
      expiresAt: 'tomorrow',
    },
    'expiresAt',
  ],
])('refuses %s with invalid_request, quoting no value and writing nothing', async (_case, payload, field) => {
  const before = await table();
  const answer = await importConnection(payload);
  expect(answer).toMatchObject({
    ok: false,
    error: { code: 'invalid_request', message: expect.stringContaining(field) },
  });
  const text = JSON.stringify(answer);
  for (const value of ['x-refresh-token', 'x-access-token-value']) expect(text).not.toContain(value);
  expect(await table()).toBe(before);
});
