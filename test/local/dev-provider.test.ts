/**
 * The development OAuth provider as a real network peer: authorization code + PKCE, rotation with reuse
 * detection, revocation, introspection, denial, injected faults, withdrawn consent and short token lifetimes.
 */
import { createHash, randomBytes } from 'node:crypto';

import { completeAuthorization } from '../../local/authorize';
import {
  startDevProvider,
  type DevProvider,
  type DevProviderClient,
  type DevProviderQuirks,
} from '../../local/dev-provider-process';

const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';
const POST_CLIENT: DevProviderClient = {
  client_id: 'vault-post',
  client_secret: randomBytes(24).toString('base64url'),
  redirect_uris: [REDIRECT_URI],
  token_endpoint_auth_method: 'client_secret_post',
};
const BASIC_CLIENT: DevProviderClient = {
  client_id: 'vault-basic',
  client_secret: randomBytes(24).toString('base64url'),
  redirect_uris: [REDIRECT_URI],
  token_endpoint_auth_method: 'client_secret_basic',
};

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  id_token?: string;
}

interface OAuthResult {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Sends a form to an endpoint authenticated as `client` the way its registration says. */
async function postForm(
  url: string,
  client: DevProviderClient,
  form: Record<string, string>,
  signal?: AbortSignal,
): Promise<OAuthResult> {
  const body = new URLSearchParams(form);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.token_endpoint_auth_method === 'client_secret_basic') {
    const user = encodeURIComponent(client.client_id);
    const pass = encodeURIComponent(client.client_secret);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  } else {
    body.set('client_id', client.client_id);
    body.set('client_secret', client.client_secret);
  }
  const res = await fetch(url, { method: 'POST', headers, body, signal: signal ?? AbortSignal.timeout(10_000) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // left empty: some tests expect a body that is not JSON
  }
  return { status: res.status, headers: res.headers, text, json };
}

function authorizationUrl(
  dp: DevProvider,
  client: DevProviderClient,
  challenge: string,
  state: string,
  scope = 'read write',
  extra: Record<string, string> = {},
): string {
  const url = new URL(dp.authorizeUrl);
  url.search = new URLSearchParams({
    ...extra,
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** The whole dance: authorize as `loginHint`, exchange the code, return the token response. */
async function connect(
  dp: DevProvider,
  client: DevProviderClient,
  loginHint?: string,
  extra: Record<string, string> = {},
): Promise<TokenResponse> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(16).toString('base64url');
  const back = await completeAuthorization(
    authorizationUrl(dp, client, challenge, state, 'read write', extra),
    loginHint ? { loginHint } : {},
  );
  expect(back.origin + back.pathname).toBe(REDIRECT_URI);
  expect(back.searchParams.get('state')).toBe(state);
  expect(back.searchParams.get('iss')).toBe(dp.issuer);
  const res = await postForm(dp.tokenUrl, client, {
    grant_type: 'authorization_code',
    code: back.searchParams.get('code')!,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  expect(res.status).toBe(200);
  return res.json as unknown as TokenResponse;
}

function refresh(
  dp: DevProvider,
  client: DevProviderClient,
  refreshToken: string,
  signal?: AbortSignal,
): Promise<OAuthResult> {
  return postForm(dp.tokenUrl, client, { grant_type: 'refresh_token', refresh_token: refreshToken }, signal);
}

describe('development OAuth provider', () => {
  let dp: DevProvider;

  beforeAll(async () => {
    dp = await startDevProvider({ clients: [POST_CLIENT, BASIC_CLIENT] });
  });
  afterAll(async () => {
    await dp?.stop();
  });
  beforeEach(async () => {
    await dp.clearFaults();
    await dp.resetStats();
  });

  it('publishes its endpoints, S256 only and RFC 9207 support in discovery', async () => {
    const doc = (await (await fetch(`${dp.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(doc).toMatchObject({
      issuer: dp.issuer,
      authorization_endpoint: `${dp.issuer}/auth`,
      token_endpoint: `${dp.issuer}/token`,
      revocation_endpoint: `${dp.issuer}/token/revocation`,
      introspection_endpoint: `${dp.issuer}/token/introspection`,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['read', 'write', 'offline_access']));
    expect(dp.tokenUrl).toBe(`${dp.issuer}/token`);
  });

  it.each([POST_CLIENT, BASIC_CLIENT])(
    'issues access + refresh tokens without openid ($token_endpoint_auth_method)',
    async (client) => {
      const tokens = await connect(dp, client);
      expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
      expect(typeof tokens.access_token).toBe('string');
      expect(typeof tokens.refresh_token).toBe('string');
      expect(tokens.id_token).toBeUndefined();
      expect(await dp.stats()).toMatchObject({ authorizationCodeGrants: 1, tokenRequests: 1 });
    },
  );

  it('requires PKCE and checks the verifier', async () => {
    const url = new URL(authorizationUrl(dp, POST_CLIENT, 'x', 'st'));
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const back = await completeAuthorization(url.href);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('st');

    const { challenge } = pkce();
    const ok = await completeAuthorization(authorizationUrl(dp, POST_CLIENT, challenge, 'st2'));
    const res = await postForm(dp.tokenUrl, POST_CLIENT, {
      grant_type: 'authorization_code',
      code: ok.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce().verifier,
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_grant');
  });

  it('rotates refresh tokens and revokes the grant when a used one comes back', async () => {
    const first = await connect(dp, BASIC_CLIENT);
    const rotated = await refresh(dp, BASIC_CLIENT, first.refresh_token!);
    expect(rotated.status).toBe(200);
    const second = rotated.json as unknown as TokenResponse;
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.scope).toBe('read write');

    const reuse = await refresh(dp, BASIC_CLIENT, first.refresh_token!);
    expect(reuse.status).toBe(400);
    expect(reuse.json.error).toBe('invalid_grant');
    const afterReuse = await refresh(dp, BASIC_CLIENT, second.refresh_token!);
    expect(afterReuse.json.error).toBe('invalid_grant');

    expect(await dp.stats()).toMatchObject({
      refreshGrants: 1,
      refreshFailures: 2,
      reuseDetected: 1,
      grantsRevoked: 1,
    });
  });

  it('treats two concurrent refreshes of one token as reuse (the winner is logged out too)', async () => {
    const tokens = await connect(dp, POST_CLIENT);
    const answers = await Promise.all([
      refresh(dp, POST_CLIENT, tokens.refresh_token!),
      refresh(dp, POST_CLIENT, tokens.refresh_token!),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const winner = answers.find((a) => a.status === 200)!.json as unknown as TokenResponse;
    expect((await refresh(dp, POST_CLIENT, winner.refresh_token!)).json.error).toBe('invalid_grant');
    expect(await dp.stats()).toMatchObject({ reuseDetected: 1 });
  });

  it('revokes per RFC 7009 and introspects per RFC 7662', async () => {
    const tokens = await connect(dp, POST_CLIENT);
    const active = await postForm(dp.introspectionUrl, POST_CLIENT, { token: tokens.access_token });
    expect(active.json).toMatchObject({
      active: true,
      client_id: POST_CLIENT.client_id,
      sub: 'dev-user',
      scope: 'read write',
    });

    const revoked = await postForm(dp.revocationUrl, POST_CLIENT, {
      token: tokens.refresh_token!,
      token_type_hint: 'refresh_token',
    });
    expect(revoked.status).toBe(200);
    // Revoking the refresh token withdraws the grant, so its access tokens die too.
    expect((await postForm(dp.introspectionUrl, POST_CLIENT, { token: tokens.access_token })).json).toEqual({
      active: false,
    });
    expect((await refresh(dp, POST_CLIENT, tokens.refresh_token!)).json.error).toBe('invalid_grant');
    // Unknown tokens are "revoked" too (RFC 7009 §2.2).
    expect((await postForm(dp.revocationUrl, POST_CLIENT, { token: 'unknown' })).status).toBe(200);
    expect(await dp.stats()).toMatchObject({ revocations: 2, introspections: 2 });
  });

  it('signs in the login_hint account, and login_hint=deny ends in access_denied', async () => {
    const tokens = await connect(dp, POST_CLIENT, 'alice@example.com');
    const info = await postForm(dp.introspectionUrl, POST_CLIENT, { token: tokens.access_token });
    expect(info.json.sub).toBe('alice@example.com');

    const back = await completeAuthorization(authorizationUrl(dp, POST_CLIENT, pkce().challenge, 'deny-state'), {
      loginHint: 'deny',
    });
    expect(back.origin + back.pathname).toBe(REDIRECT_URI);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('deny-state');
    expect(back.searchParams.get('iss')).toBe(dp.issuer);
    expect(back.searchParams.has('code')).toBe(false);
  });

  it('withdraws every grant of an account on revoke-grants', async () => {
    const a = await connect(dp, POST_CLIENT, 'bob');
    const b = await connect(dp, BASIC_CLIENT, 'bob');
    const other = await connect(dp, POST_CLIENT, 'carol');
    expect(await dp.revokeGrants('bob')).toBe(2);
    expect((await refresh(dp, POST_CLIENT, a.refresh_token!)).json.error).toBe('invalid_grant');
    expect((await refresh(dp, BASIC_CLIENT, b.refresh_token!)).json.error).toBe('invalid_grant');
    expect((await refresh(dp, POST_CLIENT, other.refresh_token!)).status).toBe(200);
  });

  it.each([
    ['revoke-grants', '{}', 'accountId must be a string'],
    ['revoke-grants', '{"accountId":', 'body must be JSON'],
    ['faults', '{"endpoint":"authorize","mode":"status"}', 'endpoint must be token or revocation'],
    ['faults', '{"endpoint":"token","mode":"status","count":0}', 'count must be a positive integer'],
  ])('refuses a bad control request to %s %s with 400 and says why', async (route, body, message) => {
    const res = await fetch(`${dp.issuer}/__control/${route}`, { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(message);
  });

  describe('injected faults', () => {
    let tokens: TokenResponse;
    beforeAll(async () => {
      tokens = await connect(dp, POST_CLIENT);
    });
    /** Refreshes for real and keeps the rotated token, so the next test has a live one. */
    async function refreshOk(): Promise<void> {
      const res = await refresh(dp, POST_CLIENT, tokens.refresh_token!);
      expect(res.status).toBe(200);
      tokens = res.json as unknown as TokenResponse;
    }

    it('status: answers the status with Retry-After, `count` times, then the real thing', async () => {
      await dp.injectFault({ endpoint: 'token', mode: 'status', status: 503, retryAfter: '7', count: 2 });
      for (let i = 0; i < 2; i += 1) {
        const res = await refresh(dp, POST_CLIENT, tokens.refresh_token!);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('7');
        expect(res.json.error).toBe('temporarily_unavailable');
      }
      await refreshOk();
      expect(await dp.stats()).toMatchObject({ tokenRequests: 3, faultsServed: 2, refreshGrants: 1 });
    });

    it('slow: delays, then lets the request through', async () => {
      await dp.injectFault({ endpoint: 'token', mode: 'slow', delayMs: 400, count: 1 });
      const started = Date.now();
      await refreshOk();
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    });

    it('hang: never answers', async () => {
      await dp.injectFault({ endpoint: 'token', mode: 'hang', count: 1 });
      await expect(refresh(dp, POST_CLIENT, tokens.refresh_token!, AbortSignal.timeout(300))).rejects.toThrow(
        /abort|timeout/i,
      );
      await refreshOk(); // the hung request never reached the provider, so the refresh token is still good
    });

    it('html, invalid_json, missing_fields: look like success but are not token responses', async () => {
      await dp.injectFault({ endpoint: 'token', mode: 'html', count: 1 });
      await dp.injectFault({ endpoint: 'token', mode: 'invalid_json', count: 1 });
      await dp.injectFault({ endpoint: 'token', mode: 'missing_fields', count: 1 });
      const html = await refresh(dp, POST_CLIENT, tokens.refresh_token!);
      expect(html.headers.get('content-type')).toMatch(/text\/html/);
      expect(html.text).toMatch(/<html>/);
      const invalid = await refresh(dp, POST_CLIENT, tokens.refresh_token!);
      expect(invalid.headers.get('content-type')).toMatch(/application\/json/);
      expect(() => JSON.parse(invalid.text) as unknown).toThrow();
      const missing = await refresh(dp, POST_CLIENT, tokens.refresh_token!);
      expect(missing.status).toBe(200);
      expect(missing.json).toEqual({ token_type: 'Bearer' });
      await refreshOk();
    });

    it('applies to the revocation endpoint too', async () => {
      await dp.injectFault({ endpoint: 'revocation', mode: 'status', status: 429, retryAfter: '3', count: 1 });
      const limited = await postForm(dp.revocationUrl, POST_CLIENT, {
        token: tokens.refresh_token!,
        token_type_hint: 'refresh_token',
      });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('3');
      await refreshOk(); // not revoked
      const real = await postForm(dp.revocationUrl, POST_CLIENT, {
        token: tokens.refresh_token!,
        token_type_hint: 'refresh_token',
      });
      expect(real.status).toBe(200);
      expect(await dp.stats()).toMatchObject({ revocationRequests: 2, revocations: 1 });
    });
  });
});

describe('development OAuth provider quirk switches (on the wire)', () => {
  let dp: DevProvider;
  beforeAll(async () => {
    dp = await startDevProvider({ clients: [POST_CLIENT], quirks: { tokenType: 'bearer' } });
  });
  afterAll(async () => {
    await dp?.stop();
  });
  let user = 0;
  const nextUser = (): string => `quirk-user-${++user}`;

  it('starts with the quirks it was given and replaces them all on setQuirks ({} turns them off)', async () => {
    expect(await dp.quirks()).toEqual({ tokenType: 'bearer' });
    expect((await connect(dp, POST_CLIENT)).token_type).toBe('bearer');
    await dp.setQuirks({});
    expect(await dp.quirks()).toEqual({});
    expect((await connect(dp, POST_CLIENT)).token_type).toBe('Bearer');
  });

  it.each([
    [{ tokenErrorStatus: 42 }, 'tokenErrorStatus must be an HTTP status'],
    [{ tokenType: 'Bearer token' }, 'tokenType must be 1-32 characters of [A-Za-z0-9_-]'],
    [{ expiresIn: 'never' }, 'expiresIn must be number, string or absent'],
    [
      { refreshTokenExpiresIn: { field: 'expires_at' } },
      'refreshTokenExpiresIn.field must be refresh_token_expires_in or refresh_expires_in',
    ],
    [{ reuseGraceSeconds: -1 }, 'reuseGraceSeconds must be an integer >= 0'],
    [{ rotateRefreshToken: false }, expect.stringMatching(/^unknown quirk rotateRefreshToken; known: /)],
  ])('refuses the invalid switch %j and keeps the quirks in force', async (quirks, message) => {
    await dp.setQuirks({ expiresIn: 'string' });
    await expect(dp.setQuirks(quirks as DevProviderQuirks)).rejects.toThrow(/HTTP 400/);
    const res = await fetch(`${dp.issuer}/__control/quirks`, { method: 'POST', body: JSON.stringify(quirks) });
    expect(((await res.json()) as { error: string }).error).toEqual(message);
    expect(await dp.quirks()).toEqual({ expiresIn: 'string' });
  });

  it('rewrites the token answer: token_type, expires_in as a string or absent, the refresh token lifetime', async () => {
    await dp.setQuirks({
      tokenType: 'DPoP',
      expiresIn: 'string',
      refreshTokenExpiresIn: { field: 'refresh_expires_in', seconds: 0 },
    });
    const tokens = (await connect(dp, POST_CLIENT)) as unknown as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: 'DPoP', expires_in: '3600', refresh_expires_in: 0 });
    await dp.setQuirks({ expiresIn: 'absent', refreshTokenExpiresIn: { field: 'refresh_token_expires_in' } });
    const github = (await refresh(dp, POST_CLIENT, tokens.refresh_token as string)).json;
    expect(github).not.toHaveProperty('expires_in');
    expect(github).toMatchObject({ token_type: 'Bearer', refresh_token_expires_in: 30 * 24 * 60 * 60 });
  });

  it("answers token errors with HTTP 200 and the provider's own codes, per grant type", async () => {
    await dp.setQuirks({
      tokenErrorStatus: 200,
      errorCodes: {
        'refresh_token:invalid_grant': 'bad_refresh_token',
        invalid_client: 'incorrect_client_credentials',
      },
    });
    const res = await refresh(dp, POST_CLIENT, 'not-a-token');
    expect(res.status).toBe(200);
    expect(res.json.error).toBe('bad_refresh_token');
    const wrongSecret = await postForm(
      dp.tokenUrl,
      { ...POST_CLIENT, client_secret: 'wrong-secret-value' },
      { grant_type: 'refresh_token', refresh_token: 'x' },
    );
    expect(wrongSecret.status).toBe(200);
    expect(wrongSecret.json.error).toBe('incorrect_client_credentials');
  });

  it('does not rotate when told so: the refresh answer has no refresh token and the old one stays valid', async () => {
    await dp.setQuirks({ rotateRefreshTokens: false });
    const tokens = await connect(dp, POST_CLIENT);
    for (let i = 0; i < 2; i += 1) {
      const res = await refresh(dp, POST_CLIENT, tokens.refresh_token!);
      expect(res.status).toBe(200);
      expect(res.json).not.toHaveProperty('refresh_token');
    }
  });

  it('issues a refresh token only with access_type=offline, and on the first consent unless prompt=consent', async () => {
    await dp.setQuirks({ refreshTokenRequiresOfflineAccess: true, refreshTokenOnFirstConsentOnly: true });
    const account = nextUser();
    expect((await connect(dp, POST_CLIENT, account)).refresh_token).toBeUndefined();
    expect((await connect(dp, POST_CLIENT, account, { access_type: 'offline' })).refresh_token).toEqual(
      expect.any(String),
    );
    expect((await connect(dp, POST_CLIENT, account, { access_type: 'offline' })).refresh_token).toBeUndefined();
    expect(
      (await connect(dp, POST_CLIENT, account, { access_type: 'offline', prompt: 'consent' })).refresh_token,
    ).toEqual(expect.any(String));
    expect((await connect(dp, POST_CLIENT, nextUser(), { access_type: 'offline' })).refresh_token).toEqual(
      expect.any(String),
    );
  });

  it('serves a used refresh token the same successor within the grace window, then detects reuse', async () => {
    await dp.setQuirks({ reuseGraceSeconds: 1 });
    await dp.resetStats();
    const tokens = await connect(dp, POST_CLIENT);
    const first = await refresh(dp, POST_CLIENT, tokens.refresh_token!);
    const again = await refresh(dp, POST_CLIENT, tokens.refresh_token!);
    expect(again.json).toEqual(first.json);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await refresh(dp, POST_CLIENT, tokens.refresh_token!)).json.error).toBe('invalid_grant');
    expect(await dp.stats()).toMatchObject({ refreshGrants: 1, reuseGraceServed: 1, reuseDetected: 1 });
  });

  it("ends a predecessor's grace window once its successor is used", async () => {
    await dp.setQuirks({ reuseGraceSeconds: 30 });
    const tokens = await connect(dp, POST_CLIENT);
    const second = (await refresh(dp, POST_CLIENT, tokens.refresh_token!)).json as unknown as TokenResponse;
    expect((await refresh(dp, POST_CLIENT, second.refresh_token!)).status).toBe(200);
    expect((await refresh(dp, POST_CLIENT, tokens.refresh_token!)).json.error).toBe('invalid_grant');
  });

  it('can answer a body far too large for a token answer', async () => {
    await dp.setQuirks({});
    await dp.injectFault({ endpoint: 'token', mode: 'oversized' });
    const res = await refresh(dp, POST_CLIENT, 'whatever');
    expect(res.status).toBe(200);
    expect(res.text.length).toBeGreaterThan(1024 * 1024);
  });
});

describe('development OAuth provider with short lifetimes', () => {
  let dp: DevProvider;
  beforeAll(async () => {
    dp = await startDevProvider({ clients: [POST_CLIENT], accessTokenTtlSeconds: 2, refreshTokenTtlSeconds: 3 });
  });
  afterAll(async () => {
    await dp?.stop();
  });

  it('honours the access and refresh token TTLs', async () => {
    const tokens = await connect(dp, POST_CLIENT);
    expect(tokens.expires_in).toBe(2);
    expect((await postForm(dp.introspectionUrl, POST_CLIENT, { token: tokens.access_token })).json.active).toBe(true);
    await new Promise((r) => setTimeout(r, 3200));
    expect((await postForm(dp.introspectionUrl, POST_CLIENT, { token: tokens.access_token })).json).toEqual({
      active: false,
    });
    expect((await refresh(dp, POST_CLIENT, tokens.refresh_token!)).json.error).toBe('invalid_grant');
  });

  it('stops on SIGTERM and the handle is idempotent', async () => {
    const extra = await startDevProvider({ clients: [POST_CLIENT] });
    await extra.stop();
    await extra.stop();
    await expect(fetch(`${extra.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });
});
