/**
 * The vault's handlers against a real Keycloak 26 (installed by scripts/setup-keycloak.sh, started once for this
 * file): a realm with strict refresh-token rotation, a confidential client with PKCE S256 required, users logging
 * in through Keycloak's own login form. Connect -> login -> callback -> token-fetch, a forced refresh that Keycloak
 * rotates, reuse of the old refresh token refused, ended sessions, revocation.
 *
 * Two applications share the Keycloak client: `keycloak` asks for `openid offline_access` (what a vault needs),
 * `keycloak-online` for `openid` only, whose refresh tokens carry a positive `refresh_expires_in`.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { TUNABLES } from '../../functions/definitions/tunables';
import { Container } from '../../functions/runtime/container';
import { KeycloakAdmin, type KeycloakRealmAdmin } from '../../local/keycloak/admin';
import { keycloakApplication } from '../../local/keycloak/application';
import { keycloakLogin } from '../../local/keycloak/login';
import { startKeycloak, type Keycloak } from '../../local/keycloak/process';
import { functionEnvironment } from '../../local/provision';
import { freshResources, type FreshResources } from '../support/aws';
import { registerSensitive } from '../support/leak-guard';
import { closeContainer, expectOk, expectSameToken, testDeadline } from '../support/refresh';
import { callbackEvent, fakeContext, REDIRECT_URI, RETURN_TO, type Handlers } from '../support/vault';

const OFFLINE = 'keycloak';
const ONLINE = 'keycloak-online';
const CLIENT_ID = 'token-vault';
const REALM = 'token-vault';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;
type User = (typeof USERS)[number];

const clientSecret = `kc-${randomBytes(24).toString('base64url')}`;
const passwords = Object.fromEntries(USERS.map((user) => [user, `pw-${randomBytes(12).toString('base64url')}`])) as Record<User, string>;
registerSensitive(clientSecret, ...Object.values(passwords));

let keycloak: Keycloak | undefined;
let realm: KeycloakRealmAdmin;
let resources: FreshResources | undefined;
let container: Container | undefined;
let handlers: Handlers;

beforeAll(async () => {
  // startKeycloak runs scripts/setup-keycloak.sh first: quick when installed, a download and a one-time build of
  // about a minute on a fresh machine. Keycloak's start and the AWS resources overlap.
  // Each is kept as soon as it exists, so that afterAll stops it even when the other fails.
  await Promise.all([
    startKeycloak().then((started) => (keycloak = started)),
    freshResources([
      { applicationId: OFFLINE, clientSecret },
      { applicationId: ONLINE, clientSecret },
    ]).then((fresh) => (resources = fresh)),
  ]);
  if (!keycloak || !resources) throw new Error('unreachable: both were assigned');

  const configuring = Date.now();
  realm = await new KeycloakAdmin(keycloak).createRealm({ realm: REALM, accessTokenLifespanSeconds: 60 });
  await Promise.all([
    realm.createClient({ clientId: CLIENT_ID, clientSecret, redirectUri: REDIRECT_URI }),
    ...USERS.map((user) => realm.createUser({ username: user, password: passwords[user] })),
  ]);
  process.stderr.write(`keycloak.test: Keycloak ${keycloak.version} answered ${keycloak.startMs} ms after its start; realm configured in ${Date.now() - configuring} ms\n`);

  const settings = { clientId: CLIENT_ID, redirectUri: REDIRECT_URI, returnTo: [RETURN_TO] };
  const env: Record<string, string> = {
    ...functionEnvironment(resources, [
      keycloakApplication(realm.endpoints, { ...settings, applicationId: OFFLINE, clientSecretId: resources.secretIds[OFFLINE]! }),
      keycloakApplication(realm.endpoints, { ...settings, applicationId: ONLINE, clientSecretId: resources.secretIds[ONLINE]!, scopes: ['openid'], tokenEndpointAuth: 'client_secret_basic' }),
    ]),
    // `refresh` must go to Keycloak even for a token issued a moment ago.
    [TUNABLES.forcedRefreshMinIntervalSeconds.env]: '0',
  };
  container = new Container({ ...process.env, ...env });
  // The handlers read their environment at cold start, as in Lambda.
  Object.assign(process.env, env);
  handlers = {
    connect: loadHandler('../../functions/handlers/connect') as Handlers['connect'],
    tokenFetch: loadHandler('../../functions/handlers/token-fetch') as Handlers['tokenFetch'],
    refresh: loadHandler('../../functions/handlers/refresh') as Handlers['refresh'],
    revoke: loadHandler('../../functions/handlers/revoke') as Handlers['revoke'],
    callback: loadHandler('../../functions/handlers/callback') as Handlers['callback'],
  };
}, 600_000);

afterAll(async () => {
  if (container) closeContainer(container);
  resources?.close();
  await keycloak?.stop();
});

function loadHandler(path: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path) as { handler: unknown }).handler;
}

async function invoke(name: keyof Omit<Handlers, 'callback'>, payload: unknown): Promise<Record<string, unknown>> {
  const answer = await handlers[name](payload, fakeContext(name));
  if (answer.ok === true && typeof answer.accessToken === 'string') registerSensitive(answer.accessToken);
  return answer;
}

/** connect, Keycloak's login form, and the callback; returns the callback's answer and the `iss` Keycloak sent. */
async function connectThroughKeycloak(user: User, applicationId: string): Promise<{ response: APIGatewayProxyStructuredResultV2; iss: string | null }> {
  const started = await invoke('connect', { userId: user, applicationId, returnTo: RETURN_TO });
  expectOk(started);
  const redirect = await keycloakLogin(String(started.authorizationUrl), { username: user, password: passwords[user], redirectUri: REDIRECT_URI });
  registerSensitive(redirect.searchParams.get('code') ?? undefined, redirect.searchParams.get('state') ?? undefined);
  const response = await handlers.callback(callbackEvent(redirect.searchParams.toString()), fakeContext('callback'));
  return { response, iss: redirect.searchParams.get('iss') };
}

/** `status` (and `error`) of the callback's redirect to returnTo. */
function callbackStatus(response: APIGatewayProxyStructuredResultV2): string {
  const location = new URL(String(response.headers?.location));
  const error = location.searchParams.get('error');
  return error === null ? String(location.searchParams.get('status')) : `${location.searchParams.get('status')}:${error}`;
}

async function connected(user: User, applicationId: string): Promise<void> {
  const { response } = await connectThroughKeycloak(user, applicationId);
  // For OFFLINE this needs the OAuth client to read Keycloak's `"refresh_expires_in": 0` as "no expiry stated"
  // (functions/core/oauth/client.ts `optionalSeconds`); before that fix the callback answers provider_unavailable.
  expect(callbackStatus(response)).toBe('connected');
}

/** The stored refresh token, opened with the vault's own sealer. */
async function storedRefreshToken(user: User, applicationId: string): Promise<string> {
  const deadline = testDeadline();
  const connection = await container!.connections().get({ userId: user, applicationId }, deadline);
  if (connection?.status !== 'active') throw new Error(`connection ${user}/${applicationId} is ${connection?.status ?? 'missing'}`);
  const token = await container!.sealer().openRefreshToken(connection, deadline);
  if (token === undefined) throw new Error(`connection ${user}/${applicationId} has no refresh token`);
  registerSensitive(token);
  return token;
}

/** A refresh sent straight to Keycloak's token endpoint, as the vault's client; only the error is returned. */
async function refreshAtKeycloak(refreshToken: string): Promise<{ status: number; error?: string; description?: string }> {
  const res = await fetch(realm.endpoints.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID, client_secret: clientSecret }).toString(),
  });
  const body = (await res.json()) as { error?: string; error_description?: string; access_token?: string; refresh_token?: string };
  registerSensitive(body.access_token, body.refresh_token);
  return { status: res.status, ...(body.error === undefined ? {} : { error: body.error }), ...(body.error_description === undefined ? {} : { description: body.error_description }) };
}

async function introspect(token: string): Promise<{ active: boolean; username?: string; scope?: string }> {
  const res = await fetch(realm.endpoints.introspectionUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: CLIENT_ID, client_secret: clientSecret }).toString(),
  });
  return (await res.json()) as { active: boolean; username?: string; scope?: string };
}

const refreshEvents = (user: User): Promise<number> => realm.countEvents('REFRESH_TOKEN', { clientId: CLIENT_ID, username: user });
const refreshErrors = (): Promise<number> => realm.countEvents('REFRESH_TOKEN_ERROR', { clientId: CLIENT_ID });

describe('the realm', () => {
  it('requires PKCE from the client', async () => {
    const url = new URL(realm.endpoints.authorizeUrl);
    url.search = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'no-pkce' }).toString();
    const redirect = await keycloakLogin(url.toString(), { username: 'alice', password: passwords.alice, redirectUri: REDIRECT_URI });
    expect(redirect.searchParams.get('error')).toBe('invalid_request');
    expect(redirect.searchParams.get('code')).toBeNull();
  });
});

describe('without offline_access (positive refresh_expires_in)', () => {
  it('connects through Keycloak\'s login, fetches, and refreshes with rotation', async () => {
    // ONLINE also authenticates with client_secret_basic (OFFLINE with client_secret_post), at the same client.
    const { response, iss } = await connectThroughKeycloak('bob', ONLINE);
    expect(iss).toBe(realm.endpoints.issuer);
    expect(callbackStatus(response)).toBe('connected');
    const deadline = testDeadline();
    const stored = await container!.connections().get({ userId: 'bob', applicationId: ONLINE }, deadline);
    if (stored?.status !== 'active') throw new Error('not active');
    // Keycloak's refresh_expires_in is the realm's SSO idle timeout (600 s).
    expect(stored.tokens.refreshTokenExpiryAssumed).toBeUndefined();
    expect(stored.tokens.refreshTokenExpiresAt! - Date.now()).toBeGreaterThan(590_000);
    expect(stored.tokens.refreshTokenExpiresAt! - Date.now()).toBeLessThanOrEqual(600_000);

    const first = await invoke('tokenFetch', { userId: 'bob', applicationId: ONLINE, minValiditySeconds: 0 });
    expectOk(first);
    expect(await introspect(String(first.accessToken))).toMatchObject({ active: true, username: 'bob' });

    const before = await storedRefreshToken('bob', ONLINE);
    const events = await refreshEvents('bob');
    const refreshed = await invoke('refresh', { userId: 'bob', applicationId: ONLINE });
    expectOk(refreshed);
    expectSameToken(refreshed.accessToken, first.accessToken, false);
    expect(await refreshEvents('bob')).toBe(events + 1);
    expectSameToken(await storedRefreshToken('bob', ONLINE), before, false);
  });
});

describe('with offline_access', () => {
  it('connect -> Keycloak login -> callback -> token-fetch', async () => {
    const started = await invoke('connect', { userId: 'alice', applicationId: OFFLINE, returnTo: RETURN_TO });
    expectOk(started);
    const url = new URL(String(started.authorizationUrl));
    expect(`${url.origin}${url.pathname}`).toBe(realm.endpoints.authorizeUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']));

    const redirect = await keycloakLogin(url.toString(), { username: 'alice', password: passwords.alice, redirectUri: REDIRECT_URI });
    registerSensitive(redirect.searchParams.get('code') ?? undefined, redirect.searchParams.get('state') ?? undefined);
    expect(redirect.searchParams.get('iss')).toBe(realm.endpoints.issuer);
    expect(redirect.searchParams.get('state')).toBe(url.searchParams.get('state'));
    const response = await handlers.callback(callbackEvent(redirect.searchParams.toString()), fakeContext('callback'));
    // Needs the `refresh_expires_in: 0` fix (see `connected`), as does every test below in this block.
    expect(callbackStatus(response)).toBe('connected');
    expect(await realm.countEvents('CODE_TO_TOKEN', { clientId: CLIENT_ID, username: 'alice' })).toBe(1);

    const answer = await invoke('tokenFetch', { userId: 'alice', applicationId: OFFLINE, minValiditySeconds: 0 });
    expectOk(answer);
    expect(answer.tokenType).toBe('Bearer');
    expect(String(answer.scope).split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']));
    const introspected = await introspect(String(answer.accessToken));
    expect(introspected).toMatchObject({ active: true, username: 'alice' });
  });

  it('a forced refresh is one refresh at Keycloak, which rotates the refresh token; the old one is refused', async () => {
    await connected('carol', OFFLINE);
    const first = await invoke('tokenFetch', { userId: 'carol', applicationId: OFFLINE, minValiditySeconds: 0 });
    expectOk(first);
    const before = await storedRefreshToken('carol', OFFLINE);
    const [events, errors] = [await refreshEvents('carol'), await refreshErrors()];

    const refreshed = await invoke('refresh', { userId: 'carol', applicationId: OFFLINE, rejectedAccessToken: String(first.accessToken) });
    expectOk(refreshed);
    expectSameToken(refreshed.accessToken, first.accessToken, false);
    expect(await refreshEvents('carol')).toBe(events + 1);
    expect(await refreshErrors()).toBe(errors);
    const after = await storedRefreshToken('carol', OFFLINE);
    expectSameToken(after, before, false);

    // Reuse protection: the rotated-out token is refused...
    expect(await refreshAtKeycloak(before)).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(await refreshErrors()).toBe(errors + 1);
    // ...and, as reuse detection should, that ended the grant: the vault's current token is dead too, so the vault
    // asks for re-authorization instead of serving or retrying.
    const next = await invoke('refresh', { userId: 'carol', applicationId: OFFLINE });
    expect(next).toMatchObject({ ok: false, error: { code: 'reauthorization_required', retryable: false } });
    expect(await refreshAtKeycloak(after)).toMatchObject({ status: 400, error: 'invalid_grant' });
  });

  it('ended sessions (offline ones included): the next refresh answers reauthorization_required', async () => {
    await connected('dave', OFFLINE);
    await connected('dave', ONLINE);
    const ended = await realm.endUserSessions('dave');
    expect(ended.offlineClients).toEqual([CLIENT_ID]);
    const errors = await refreshErrors();
    for (const applicationId of [OFFLINE, ONLINE]) {
      const answer = await invoke('refresh', { userId: 'dave', applicationId });
      expect(answer).toMatchObject({ ok: false, error: { code: 'reauthorization_required' } });
    }
    // One refused refresh each: invalid_grant is final, the vault does not retry it.
    expect(await refreshErrors()).toBe(errors + 2);
    expect(await invoke('tokenFetch', { userId: 'dave', applicationId: OFFLINE })).toMatchObject({ ok: false, error: { code: 'reauthorization_required' } });
    // Connecting again works.
    await connected('dave', OFFLINE);
    expectOk(await invoke('tokenFetch', { userId: 'dave', applicationId: OFFLINE, minValiditySeconds: 0 }));
  });

  it('revoke revokes at Keycloak: the refresh token is refused, the access token inactive', async () => {
    await connected('erin', OFFLINE);
    const token = await invoke('tokenFetch', { userId: 'erin', applicationId: OFFLINE, minValiditySeconds: 0 });
    expectOk(token);
    const refreshToken = await storedRefreshToken('erin', OFFLINE);
    const revocations = await realm.countEvents('REVOKE_GRANT', { clientId: CLIENT_ID });

    expect(await invoke('revoke', { userId: 'erin', applicationId: OFFLINE, reason: 'user_disconnected' })).toMatchObject({ ok: true, revoked: 1 });
    expect(await realm.countEvents('REVOKE_GRANT', { clientId: CLIENT_ID })).toBe(revocations + 1);
    expect(await refreshAtKeycloak(refreshToken)).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(await introspect(String(token.accessToken))).toMatchObject({ active: false });
    expect(await invoke('tokenFetch', { userId: 'erin', applicationId: OFFLINE })).toMatchObject({ ok: false, error: { code: 'not_connected' } });
  });
});
