/**
 * `status` through the handlers: what a user's connections are (active, re-authorization required, revoked),
 * their scope and expiries, a failure streak and a revocation still pending at the provider. One Query, nothing
 * else (no KMS, no secrets), and never a token.
 */
import { TOKEN_ATTRIBUTES } from '@token-vault/cdk/functions/core/store/codec';
import { STATUS_ATTRIBUTES } from '@token-vault/cdk/functions/core/vault/status';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import {
  ageAccessToken,
  closeContainer,
  countAwsCalls,
  expectOk,
  openStoredRefreshToken,
  patchRecord,
  storedRecord,
  testDeadline,
} from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  vault = await startVault({ env: { TOKEN_VAULT_PROVIDER_TIMEOUT_MS: '1000' } });
});
afterAll(async () => vault.close());
afterEach(async () => vault.provider.clearFaults());

const status = (payload: unknown) => vault.invoke('status', payload);

/** The one connection `status` lists for the user. */
async function only(userId: string): Promise<Record<string, unknown>> {
  const answer = await status({ userId });
  expectOk(answer);
  const connections = answer.connections as Array<Record<string, unknown>>;
  expect(connections).toHaveLength(1);
  return connections[0]!;
}

it('an active connection: every field, no token', async () => {
  await vault.connectUser('st-active');
  const fetched = await vault.invoke('tokenFetch', { userId: 'st-active' });
  expectOk(fetched);
  const record = (await storedRecord(vault, 'st-active'))!;
  const entry = await only('st-active');
  expect(entry).toEqual({
    applicationId: 'default',
    status: 'active',
    scope: record.scope,
    connectedAt: record.connectedAt,
    lastRefreshedAt: record.lastRefreshAt,
    accessTokenExpiresAt: new Date(record.accessTokenExpiresAt!).toISOString(),
    // The development provider states no refresh-token lifetime: the vault only assumes one.
    refreshTokenExpiresAt: 'unknown',
    reauthorizationReason: null,
    providerRevocationPending: false,
    refreshFailingSince: null,
  });
  const body = JSON.stringify(await status({ userId: 'st-active' }));
  for (const secret of [
    String(fetched.accessToken),
    await openStoredRefreshToken(vault, 'st-active'),
    vault.clientSecret,
  ])
    expect(body).not.toContain(secret);
});

it('reads with one Query and nothing else', async () => {
  await vault.connectUser('st-one-query');
  const container = new Container(vault.env);
  const counter = countAwsCalls(container);
  try {
    const connections = await container.status().status({ userId: 'st-one-query' }, testDeadline());
    expect(connections).toHaveLength(1);
    expect(counter.calls).toEqual({ 'DynamoDB.QueryCommand': 1 });
  } finally {
    closeContainer(container);
  }
});

it('projects no sealed attribute', () => {
  const sealed = TOKEN_ATTRIBUTES.filter((a) => ['encryptedDataKey', 'accessToken', 'refreshToken'].includes(a));
  expect(sealed).toHaveLength(3);
  for (const attribute of sealed) expect(STATUS_ATTRIBUTES).not.toContain(attribute);
});

it('a failing refresh shows since when; re-authorization required shows the reason and no expiries', async () => {
  const userId = 'st-failing';
  await vault.connectUser(userId);
  await ageAccessToken(vault, userId, -1000);
  await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 3 });
  expect(await vault.invoke('tokenFetch', { userId })).toMatchObject({
    ok: false,
    error: { code: 'provider_unavailable' },
  });
  const failing = await only(userId);
  expect(failing).toMatchObject({ status: 'active', refreshFailingSince: expect.stringMatching(/^\d{4}-/) });

  await vault.provider.clearFaults();
  await patchRecord(vault, userId, { cooldownUntil: Date.now() - 1000 });
  await vault.server.endUserSessions(userId);
  expect(await vault.invoke('tokenFetch', { userId })).toMatchObject({
    ok: false,
    error: { code: 'reauthorization_required' },
  });
  expect(await only(userId)).toMatchObject({
    status: 'reauthorization_required',
    reauthorizationReason: 'invalid_grant',
    scope: null,
    accessTokenExpiresAt: null,
    refreshTokenExpiresAt: null,
    lastRefreshedAt: null,
    refreshFailingSince: null,
  });
});

it('revoked with the provider revocation pending, then confirmed by the sweep', async () => {
  const userId = 'st-revoked';
  await vault.connectUser(userId);
  await vault.provider.injectFault({ endpoint: 'revocation', mode: 'status', status: 503, count: 1 });
  expect(await vault.invoke('revoke', { userId, reason: 'user_disconnected' })).toMatchObject({
    ok: true,
    revoked: 1,
    providerPending: 1,
  });
  expect(await only(userId)).toMatchObject({ status: 'revoked', providerRevocationPending: true, scope: null });
  const container = vault.container;
  const pending = (await container.connections().queryUser(userId, testDeadline())).filter((i) =>
    String(i.applicationId).startsWith('#pending-revocation#'),
  );
  for (const item of pending)
    await container.revocation().retryRevocation(userId, String(item.applicationId), testDeadline());
  expect(await only(userId)).toMatchObject({ status: 'revoked', providerRevocationPending: false });
});

it('a user without connections: an empty list; a filter by application', async () => {
  expect(await status({ userId: 'st-nobody' })).toEqual({ ok: true, connections: [] });
  await vault.connectUser('st-filter');
  expect(((await status({ userId: 'st-filter', applicationId: 'default' })).connections as unknown[]).length).toBe(1);
});

it.each([
  ['an unknown application', { userId: 'st-x', applicationId: 'nope' }],
  ['an unknown field', { userId: 'st-x', userid: 'st-x' }],
  ['a bad user id', { userId: 'a b' }],
  ['no user id', {}],
])('refuses %s with invalid_request', async (_case, payload) => {
  expect(await status(payload)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
});
