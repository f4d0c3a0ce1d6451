/**
 * Each provider profile's documented quirks, made real: the development provider (oidc-provider, its own process)
 * is switched to behave like that provider, and the vault's OAuth client, configured by the profile, talks to it
 * over HTTP. One test per quirk; the profile's defaults must make the flow work without the caller knowing it.
 */
import { randomBytes } from 'node:crypto';
import { applicationsSchema, type ApplicationConfigInput } from '@token-vault/cdk/src/definitions/applications';
import type { ProfileId, ProviderOverrides } from '@token-vault/cdk/src/definitions/profiles';
import { OAuthError } from '@token-vault/cdk/functions/core/oauth/errors';
import { generateCodeVerifier, generateState } from '@token-vault/cdk/functions/core/oauth/pkce';
import type { TokenResponse } from '@token-vault/cdk/functions/core/oauth/types';
import { ApplicationRegistry, type Application } from '@token-vault/cdk/functions/core/vault/applications';
import { completeAuthorization } from '../../local/authorize';
import { devProviderApplication, devProviderProfileApplication } from '../../local/dev-application';
import { startDevProvider, type DevProvider, type DevProviderQuirks } from '../../local/dev-provider-process';
import { registerSensitive } from '../support/leak-guard';

const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';
const CLIENT_ID = 'vault-profiles';
const CLIENT_SECRET = `cs-${randomBytes(24).toString('base64url')}`;
const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

let dp: DevProvider;
let warnings: string[];
let users = 0;

beforeAll(async () => {
  registerSensitive(CLIENT_SECRET);
  dp = await startDevProvider({
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
    extraScopes: ['api', 'refresh_token', 'User.Read'],
  });
});
afterAll(async () => {
  await dp?.stop();
});
beforeEach(async () => {
  warnings = [];
  await dp.setQuirks({});
  await dp.clearFaults();
  await dp.resetStats();
});

/** A fresh account per test: "first consent" is per account and client. */
const newUser = (): string => `user-${++users}-${randomBytes(3).toString('hex')}`;

function registry(config: ApplicationConfigInput): Application {
  const [parsed] = applicationsSchema.parse([config]);
  return new ApplicationRegistry([parsed!], { timeoutMs: 5000, onWarning: (m) => warnings.push(m) }).require('default');
}

/**
 * The application a profile makes, pointed at the development provider. Profiles whose provider needs no scope
 * get `read` here: oidc-provider refuses an authorization that grants no scope at all.
 */
function profileApp(profile: ProfileId, overrides: ProviderOverrides = {}, scopes?: readonly string[]): Application {
  return registry(
    devProviderProfileApplication(dp, profile, {
      clientId: CLIENT_ID,
      clientSecretId: 'unused-here',
      redirectUri: REDIRECT_URI,
      returnTo: [],
      ...(scopes === undefined ? {} : { scopes }),
      overrides,
    }),
  );
}

/** An application without a profile: the vault's plain OAuth 2.0, no error-code map, no quirk. */
function plainApp(): Application {
  return registry(
    devProviderApplication(dp, {
      clientId: CLIENT_ID,
      clientSecretId: 'unused-here',
      redirectUri: REDIRECT_URI,
      returnTo: [],
    }),
  );
}

function keep(tokens: TokenResponse): TokenResponse {
  registerSensitive(tokens.accessToken, tokens.refreshToken);
  return tokens;
}

/** connect + the provider's login and consent + the code exchange, as the callback does it. */
async function connect(
  app: Application,
  loginHint: string,
  scopes?: readonly string[],
): Promise<{ tokens: TokenResponse; back: URL; code: string; verifier: string }> {
  const verifier = generateCodeVerifier();
  const state = generateState();
  const back = await completeAuthorization(
    app.client.authorizationUrl({ state, codeVerifier: verifier, scopes: scopes ?? app.config.scopes }),
    { loginHint },
  );
  expect(back.searchParams.get('state')).toBe(state);
  const code = back.searchParams.get('code');
  if (code === null) throw new Error(`authorization failed: ${back.searchParams.get('error')}`);
  registerSensitive(code);
  return { tokens: keep(await app.client.exchangeCode(code, verifier, CLIENT_SECRET)), back, code, verifier };
}

async function refresh(app: Application, refreshToken: string | undefined): Promise<TokenResponse> {
  if (refreshToken === undefined) throw new Error('no refresh token to refresh with');
  return keep(await app.client.refresh(refreshToken, CLIENT_SECRET));
}

async function refreshFailure(app: Application, refreshToken: string | undefined): Promise<OAuthError> {
  try {
    await refresh(app, refreshToken);
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected the refresh to fail');
}

async function quirks(q: DevProviderQuirks): Promise<void> {
  await dp.setQuirks(q);
}

describe('otesse profile (the seed provider)', () => {
  it("classifies the provider's rate_limited error code as rate limiting, retryable", async () => {
    const app = profileApp('otesse', {}, ['read']);
    const { tokens } = await connect(app, newUser());
    await dp.injectFault({
      endpoint: 'token',
      mode: 'status',
      status: 400,
      body: { error: 'rate_limited' },
      retryAfter: '3',
    });
    const error = await refreshFailure(app, tokens.refreshToken);
    expect(error).toMatchObject({ code: 'rate_limited', providerError: 'rate_limited', retryAfterMs: 3000 });
    expect(error.isSafeToRetry).toBe(true);
  });
});

describe('keycloak profile', () => {
  it('asks for offline_access and checks the issuer', async () => {
    const app = profileApp('keycloak', {}, ['read']);
    expect(app.config.issuer).toBe(dp.issuer);
    const url = new URL(
      app.client.authorizationUrl({ state: 's', codeVerifier: generateCodeVerifier(), scopes: ['read'] }),
    );
    expect(url.searchParams.get('scope')).toBe('read offline_access');
    const { back } = await connect(app, newUser(), ['read']);
    expect(back.searchParams.get('iss')).toBe(app.config.issuer);
  });

  it('keeps the tokens of an answer with "refresh_expires_in": 0, so rotation never logs the user out', async () => {
    await quirks({ refreshTokenExpiresIn: { field: 'refresh_expires_in', seconds: 0 } });
    const app = profileApp('keycloak', {}, ['read']);
    const first = (await connect(app, newUser())).tokens;
    expect(first.refreshToken).toEqual(expect.any(String));
    expect(first.refreshTokenExpiresIn).toBeUndefined();
    const second = await refresh(app, first.refreshToken);
    expect(second.refreshToken).toEqual(expect.any(String));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.refreshTokenExpiresIn).toBeUndefined();
    // The rotated token was kept: the next refresh works, and the used one is dead (strict rotation).
    await expect(refresh(app, second.refreshToken)).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(warnings).toEqual([
      "Application default: The provider's authorization code exchange answer has refresh_expires_in that states no expiry (not a positive number); it is treated as absent.",
      "Application default: The provider's refresh answer has refresh_expires_in that states no expiry (not a positive number); it is treated as absent.",
    ]);
    expect(app.config).toMatchObject({
      profile: 'keycloak',
      rotatesRefreshTokens: true,
      refreshTokenIdleExpirySeconds: 30 * 24 * 60 * 60,
    });
  });
});

describe('google profile', () => {
  beforeEach(async () => {
    await quirks({
      rotateRefreshTokens: false,
      refreshTokenRequiresOfflineAccess: true,
      refreshTokenOnFirstConsentOnly: true,
    });
  });

  it('connects with access_type=offline&prompt=consent, so every connect gets a refresh token', async () => {
    const app = profileApp('google', {}, ['read']);
    const user = newUser();
    const url = new URL(
      app.client.authorizationUrl({ state: 's', codeVerifier: generateCodeVerifier(), scopes: ['read'] }),
    );
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect((await connect(app, user)).tokens.refreshToken).toEqual(expect.any(String));
    // A reconnect (Google re-consent) gets one too, because the profile forces consent.
    expect((await connect(app, user)).tokens.refreshToken).toEqual(expect.any(String));
  });

  it('gives a refresh token only on the first consent when connect does not force consent', async () => {
    const app = profileApp('google', { authorizationParameters: { prompt: '' } }, ['read']);
    expect(app.config.authorizationParameters).toEqual({ access_type: 'offline' });
    const user = newUser();
    expect((await connect(app, user)).tokens.refreshToken).toEqual(expect.any(String));
    const reconnect = (await connect(app, user)).tokens;
    expect(reconnect.accessToken).toEqual(expect.any(String));
    expect(reconnect.refreshToken).toBeUndefined();
    expect(app.config.refreshTokenOnFirstConsentOnly).toBe(true);
  });

  it('gives no refresh token at all without access_type=offline', async () => {
    const app = profileApp('google', { authorizationParameters: { access_type: '' } }, ['read']);
    expect((await connect(app, newUser())).tokens.refreshToken).toBeUndefined();
  });

  it('does not rotate: refresh answers carry no refresh token and the first one keeps working', async () => {
    const app = profileApp('google', {}, ['read']);
    const { tokens } = await connect(app, newUser());
    const once = await refresh(app, tokens.refreshToken);
    expect(once.refreshToken).toBeUndefined();
    const twice = await refresh(app, tokens.refreshToken);
    expect(twice.accessToken).not.toBe(once.accessToken);
    expect(app.config).toMatchObject({
      rotatesRefreshTokens: false,
      refreshTokenIdleExpirySeconds: 180 * 24 * 60 * 60,
    });
  });
});

describe('microsoft profile (Entra ID)', () => {
  it('asks for offline_access whatever scopes connect names', async () => {
    const app = profileApp('microsoft', {}, ['User.Read']);
    const { tokens, back } = await connect(app, newUser(), ['User.Read']);
    expect(back.searchParams.has('code')).toBe(true);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    const url = new URL(
      app.client.authorizationUrl({ state: 's', codeVerifier: generateCodeVerifier(), scopes: ['User.Read'] }),
    );
    expect(url.searchParams.get('scope')).toBe('User.Read offline_access');
  });

  it('reads expires_in sent as a string, without a warning, and keeps each rotated refresh token', async () => {
    await quirks({ expiresIn: 'string' });
    const app = profileApp('microsoft', {}, ['User.Read']);
    const { tokens } = await connect(app, newUser());
    expect(tokens.expiresIn).toBe(3600);
    const rotated = await refresh(app, tokens.refreshToken);
    expect(rotated.expiresIn).toBe(3600);
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
    await expect(refresh(app, rotated.refreshToken)).resolves.toMatchObject({ expiresIn: 3600 });
    expect(warnings).toEqual([]);
  });
});

describe('github profile (GitHub Apps, expiring user tokens)', () => {
  const GITHUB_QUIRKS: DevProviderQuirks = {
    tokenErrorStatus: 200,
    errorCodes: {
      'refresh_token:invalid_grant': 'bad_refresh_token',
      'authorization_code:invalid_grant': 'bad_verification_code',
    },
    tokenType: 'bearer',
    refreshTokenExpiresIn: { field: 'refresh_token_expires_in' },
  };
  beforeEach(async () => {
    await quirks(GITHUB_QUIRKS);
  });

  it('serves the lowercase bearer token and reads refresh_token_expires_in', async () => {
    const app = profileApp('github', {}, ['read']);
    const { tokens } = await connect(app, newUser());
    expect(tokens).toMatchObject({ tokenType: 'Bearer', refreshTokenExpiresIn: REFRESH_TOKEN_TTL_SECONDS });
    const rotated = await refresh(app, tokens.refreshToken);
    expect(rotated).toMatchObject({ tokenType: 'Bearer', refreshTokenExpiresIn: REFRESH_TOKEN_TTL_SECONDS });
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
  });

  it('reads bad_refresh_token, answered with HTTP 200, as invalid_grant: the user must reconnect', async () => {
    const app = profileApp('github', {}, ['read']);
    const { tokens } = await connect(app, newUser());
    await refresh(app, tokens.refreshToken);
    const error = await refreshFailure(app, tokens.refreshToken); // already used
    expect(error).toMatchObject({
      code: 'oauth_error',
      status: 200,
      providerError: 'invalid_grant',
      providerCode: 'bad_refresh_token',
    });
    expect(error.isInvalidGrant).toBe(true);
    expect(error.isTransient).toBe(false);
  });

  it('without the profile the same answer is an unknown, non-transient provider error (the operator alarm)', async () => {
    const { tokens } = await connect(profileApp('github', {}, ['read']), newUser());
    const plain = plainApp();
    await refresh(plain, tokens.refreshToken);
    const error = await refreshFailure(plain, tokens.refreshToken);
    expect(error).toMatchObject({ code: 'oauth_error', status: 200, providerError: 'bad_refresh_token' });
    expect(error.isInvalidGrant).toBe(false);
  });

  it('reads bad_verification_code on a replayed code as invalid_grant', async () => {
    const app = profileApp('github', {}, ['read']);
    const { code, verifier } = await connect(app, newUser());
    const replay = await app.client.exchangeCode(code, verifier, CLIENT_SECRET).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(replay).toBeInstanceOf(OAuthError);
    expect(replay).toMatchObject({
      providerError: 'invalid_grant',
      providerCode: 'bad_verification_code',
      status: 200,
    });
  });
});

describe('slack profile (token rotation)', () => {
  beforeEach(async () => {
    await quirks({
      tokenType: 'bot',
      tokenErrorStatus: 200,
      errorCodes: { 'refresh_token:invalid_grant': 'invalid_refresh_token' },
    });
  });

  it('serves bot tokens as Bearer and keeps every rotated refresh token', async () => {
    const app = profileApp('slack', {}, ['read']);
    const { tokens } = await connect(app, newUser());
    expect(tokens.tokenType).toBe('Bearer');
    const rotated = await refresh(app, tokens.refreshToken);
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
    await expect(refresh(app, rotated.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('reads invalid_refresh_token (HTTP 200, ok: false) as invalid_grant', async () => {
    const app = profileApp('slack', {}, ['read']);
    const { tokens } = await connect(app, newUser());
    await refresh(app, tokens.refreshToken);
    const error = await refreshFailure(app, tokens.refreshToken);
    expect(error).toMatchObject({ providerError: 'invalid_grant', providerCode: 'invalid_refresh_token' });
    expect(error.isInvalidGrant).toBe(true);
  });
});

describe('salesforce profile', () => {
  beforeEach(async () => {
    await quirks({ expiresIn: 'absent', rotateRefreshTokens: false });
  });

  it('asks for the refresh_token scope and takes answers without expires_in, silently', async () => {
    const app = profileApp('salesforce');
    expect(app.config.scopes).toEqual(['api', 'refresh_token']);
    const { tokens } = await connect(app, newUser());
    expect(tokens.expiresIn).toBeUndefined();
    expect(tokens.refreshToken).toEqual(expect.any(String));
    const refreshed = await refresh(app, tokens.refreshToken);
    expect(refreshed.expiresIn).toBeUndefined();
    expect(refreshed.refreshToken).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});

describe('okta and auth0 profiles (rotation with a grace period)', () => {
  it('okta: a used refresh token presented again within the grace period gets the same successor', async () => {
    const app = profileApp('okta', { reuseGraceSeconds: 2 }, ['read']);
    expect(profileApp('okta', {}, ['read']).config.reuseGraceSeconds).toBe(30);
    await quirks({ reuseGraceSeconds: app.config.reuseGraceSeconds! });
    const { tokens } = await connect(app, newUser());
    const successor = await refresh(app, tokens.refreshToken);
    // The answer was lost (say, a timeout): presenting the old token again is safe within the window.
    const again = await refresh(app, tokens.refreshToken);
    expect(again).toEqual(successor);
    expect(await dp.stats()).toMatchObject({ reuseGraceServed: 1, reuseDetected: 0, grantsRevoked: 0 });
    await expect(refresh(app, successor.refreshToken)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('okta: after the grace period a reuse revokes the grant', async () => {
    await quirks({ reuseGraceSeconds: 1 });
    const app = profileApp('okta', { reuseGraceSeconds: 1 }, ['read']);
    const { tokens } = await connect(app, newUser());
    const successor = await refresh(app, tokens.refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await refreshFailure(app, tokens.refreshToken)).isInvalidGrant).toBe(true);
    expect((await refreshFailure(app, successor.refreshToken)).isInvalidGrant).toBe(true);
    expect(await dp.stats()).toMatchObject({ reuseDetected: 1, grantsRevoked: 1 });
  });

  it("auth0: with the tenant's reuse interval, two concurrent refreshes of one token both succeed", async () => {
    const app = profileApp('auth0', { reuseGraceSeconds: 5 }, ['read']);
    expect(app.config).toMatchObject({
      rotatesRefreshTokens: true,
      reuseGraceSeconds: 5,
      requiredScopes: ['offline_access'],
    });
    await quirks({ reuseGraceSeconds: app.config.reuseGraceSeconds! });
    const { tokens } = await connect(app, newUser());
    const [a, b] = await Promise.all([refresh(app, tokens.refreshToken), refresh(app, tokens.refreshToken)]);
    expect(a).toEqual(b);
    await expect(refresh(app, a.refreshToken)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('auth0 without a reuse interval (the default): the same concurrent refreshes log the user out', async () => {
    const app = profileApp('auth0', {}, ['read']);
    expect(app.config.reuseGraceSeconds).toBe(0);
    const { tokens } = await connect(app, newUser());
    const results = await Promise.allSettled([refresh(app, tokens.refreshToken), refresh(app, tokens.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await dp.stats()).toMatchObject({ reuseDetected: 1 });
  });
});

describe('token types other than Bearer', () => {
  it.each(['DPoP', 'MAC'])('refuses a %s token with an error naming the type', async (type) => {
    await quirks({ tokenType: type });
    const app = plainApp();
    const error = await connect(app, newUser()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({
      code: 'unsupported_token_type',
      message: `The provider's authorization code exchange answer has token_type ${type}; only Bearer tokens can be served.`,
    });
  });
});

describe('transport against a real peer', () => {
  it('stops reading an oversized answer and reports it as an invalid response', async () => {
    const app = plainApp();
    const { tokens } = await connect(app, newUser());
    await dp.injectFault({ endpoint: 'token', mode: 'oversized' });
    const error = await refreshFailure(app, tokens.refreshToken);
    expect(error.code).toBe('invalid_response');
    expect(error.message).toMatch(/larger than 65536 bytes/);
  });

  it("reports the caller's abort of a hanging call as a timeout, and a per-call timeout too", async () => {
    const app = plainApp();
    const { tokens } = await connect(app, newUser());
    await dp.injectFault({ endpoint: 'token', mode: 'hang', count: 2 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await app.client
      .refresh(tokens.refreshToken!, CLIENT_SECRET, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(aborted).toMatchObject({ code: 'timeout', message: 'The provider call was cancelled by the caller.' });
    const timedOut = await app.client
      .refresh(tokens.refreshToken!, CLIENT_SECRET, { timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ code: 'timeout', message: 'The provider did not answer within 150 ms.' });
    // The hung requests never reached oidc-provider: the refresh token is still good.
    await expect(refresh(app, tokens.refreshToken)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });
});
