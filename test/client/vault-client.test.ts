/**
 * The caller library against the local stack's Lambda Invoke API (real handlers, moto, the development provider)
 * and a loopback resource server that checks tokens by introspection at the provider.
 */
import { randomBytes } from 'node:crypto';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  InsufficientScopeError,
  InvalidRequestError,
  NotConnectedError,
  RateLimitedError,
  ReauthorizationRequiredError,
  TokenVaultClient,
  VaultInternalError,
  type TokenVaultClientOptions,
} from '@token-vault/client';
import { createHandler } from '../../examples/otesse-caller/handler';
import { completeAuthorization } from '../../local/authorize';
import { registerSensitive } from '../support/leak-guard';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import {
  connectUser,
  countingLambda,
  postAsClient,
  sha256,
  startClientStack,
  startResourceServer,
  type ClientStack,
  type CountingLambda,
  type ResourceServer,
} from './helpers';

const FETCH = FUNCTIONS.tokenFetch.name;
const REFRESH = FUNCTIONS.refresh.name;

let env: ClientStack;
let lambda: CountingLambda;
let api: ResourceServer;
const userId = `user-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  env = await startClientStack();
  lambda = countingLambda(env.stack.baseUrl);
  api = await startResourceServer(env.stack.devProvider!.introspectionUrl, env.clientSecret);
  await connectUser(env.stack, lambda.client, userId);
});

afterAll(async () => {
  await api?.close();
  lambda?.client.destroy();
  await env?.stop();
});

beforeEach(async () => {
  lambda.reset();
  api.hits.length = 0;
  await env.stack.devProvider!.resetStats();
});

/** A fresh client (empty cache) on the counting Lambda client and the resource server. */
function newClient(options: TokenVaultClientOptions = {}): TokenVaultClient {
  return new TokenVaultClient({ lambda: lambda.client, apiBaseUrl: api.url, ...options });
}

const hitsOf = (path: string) => api.hits.filter((h) => h.path === path);

describe('getAccessToken', () => {
  it('invokes token-fetch once per token lifetime: the cache answers until 60 s (the default validity) before expiresAt', async () => {
    let offsetMs = 0;
    const client = newClient({ now: () => Date.now() + offsetMs, expirySkewSeconds: 30 });
    const first = await client.getAccessToken(userId);
    expect(first).toMatchObject({
      ok: true,
      tokenType: expect.stringMatching(/^bearer$/i),
      scope: expect.stringContaining('read'),
    });
    for (let i = 0; i < 5; i += 1)
      expect(sha256((await client.getAccessToken(userId)).accessToken)).toBe(sha256(first.accessToken));
    expect(lambda.invokes).toEqual({ [FETCH]: 1 });

    // With a little more than the default validity left the cached token is still used...
    const expiresAtMs = Date.parse(first.expiresAt);
    offsetMs = expiresAtMs - 61_000 - Date.now();
    await client.getAccessToken(userId);
    expect(lambda.invokes).toEqual({ [FETCH]: 1 });
    // ...with less, the vault is asked again.
    offsetMs = expiresAtMs - 59_000 - Date.now();
    await client.getAccessToken(userId);
    expect(lambda.invokes).toEqual({ [FETCH]: 2 });
  });

  it('coalesces concurrent calls for one user into one invoke', async () => {
    const client = newClient();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getAccessToken(userId)));
    expect(new Set(tokens.map((t) => sha256(t.accessToken))).size).toBe(1);
    expect(lambda.invokes).toEqual({ [FETCH]: 1 });
  });

  it('asks again when the caller needs more validity than the cached token has left', async () => {
    let offsetMs = 0;
    const client = newClient({ now: () => Date.now() + offsetMs });
    const token = await client.getAccessToken(userId);
    offsetMs = Date.parse(token.expiresAt) - 100_000 - Date.now();
    await client.getAccessToken(userId, { minValiditySeconds: 60 });
    expect(lambda.invokes[FETCH]).toBe(1);
    await client.getAccessToken(userId, { minValiditySeconds: 120 });
    expect(lambda.invokes[FETCH]).toBe(2);
  });

  it('maps not_connected and invalid_request answers to typed errors', async () => {
    const client = newClient();
    const notConnected = await client
      .getAccessToken(`nobody-${randomBytes(4).toString('hex')}`)
      .catch((e: unknown) => e);
    expect(notConnected).toBeInstanceOf(NotConnectedError);
    expect(notConnected).toMatchObject({ code: 'not_connected', retryable: false });
    const invalid = await client.getAccessToken('not a valid user id!').catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid).toMatchObject({ code: 'invalid_request', retryable: false });
    // Errors are not cached: each call asks again.
    expect(lambda.invokes[FETCH]).toBe(2);
  });
});

describe('apiRequest', () => {
  it('calls the API with the Bearer token and reuses it for later calls', async () => {
    const client = newClient();
    const res = await client.apiRequest(userId, '/me');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: userId });
    expect((await client.apiRequest(userId, '/me')).status).toBe(200);
    expect(lambda.invokes).toEqual({ [FETCH]: 1 });
    expect(hitsOf('/v1/me').map((h) => h.status)).toEqual([200, 200]);
  });

  it('throws InsufficientScopeError on 403 insufficient_scope, without refreshing', async () => {
    const client = newClient();
    const err = await client.apiRequest(userId, '/admin').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientScopeError);
    expect(err).toMatchObject({ code: 'insufficient_scope', requiredScope: 'admin', retryable: false });
    expect(lambda.invokes).toEqual({ [FETCH]: 1 });
    expect(hitsOf('/v1/admin').map((h) => h.status)).toEqual([403]);
    expect((await env.stack.devProvider!.stats()).refreshGrants).toBe(0);
  });

  it('backs off on 429 honouring Retry-After, then succeeds', async () => {
    const sleeps: number[] = [];
    const client = newClient({
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      random: () => 0.5,
      backoffBaseMs: 200,
    });
    api.rateLimit('/v1/limited', 2, '2');
    const res = await client.apiRequest(userId, '/limited');
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(hitsOf('/v1/limited').map((h) => h.status)).toEqual([429, 429, 200]);
    // At least Retry-After, plus up to one base of jitter.
    expect(sleeps).toEqual([2100, 2100]);
    expect(lambda.invokes).toEqual({ [FETCH]: 1 });
  });

  it('uses full jitter without Retry-After, and gives up after maxRateLimitAttempts with RateLimitedError', async () => {
    const sleeps: number[] = [];
    const client = newClient({
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      random: () => 0.999,
      backoffBaseMs: 100,
      maxRateLimitAttempts: 3,
    });
    api.rateLimit('/v1/limited', 10);
    const err = await client.apiRequest(userId, '/limited').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(hitsOf('/v1/limited').map((h) => h.status)).toEqual([429, 429, 429]);
    expect(sleeps).toEqual([99, 199]);
    api.rateLimit('/v1/limited', 0);
  });

  it('does not wait for a Retry-After beyond maxRetryAfterSeconds', async () => {
    const sleeps: number[] = [];
    const client = newClient({ sleep: (ms) => (sleeps.push(ms), Promise.resolve()), maxRetryAfterSeconds: 10 });
    api.rateLimit('/v1/limited', 1, '3600');
    const err = await client.apiRequest(userId, '/limited').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ retryAfterSeconds: 3600 });
    expect(sleeps).toEqual([]);
  });

  it('refuses endpoints that are not paths under apiBaseUrl (the token never goes elsewhere)', async () => {
    const client = newClient();
    await expect(client.apiRequest(userId, 'https://evil.example/me')).rejects.toThrow(TypeError);
    await expect(client.apiRequest(userId, '//evil.example/me')).rejects.toThrow(TypeError);
    expect(lambda.invokes).toEqual({});
  });
});

describe('when the user has to connect again', () => {
  const lostUser = `lost-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    await connectUser(env.stack, lambda.client, lostUser);
  });

  it('surfaces reauthorization_required as ReauthorizationRequiredError after one refresh attempt', async () => {
    const client = newClient();
    expect((await client.apiRequest(lostUser, '/me')).status).toBe(200);
    // The user withdraws consent at the provider: the grant and its tokens are gone.
    expect(await env.stack.devProvider!.revokeGrants(lostUser)).toBeGreaterThan(0);
    lambda.reset();

    const err = await client.apiRequest(lostUser, '/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReauthorizationRequiredError);
    expect(err).toMatchObject({ code: 'reauthorization_required', retryable: false });
    expect(lambda.invokes).toEqual({ [REFRESH]: 1 });
    expect(hitsOf('/v1/me').map((h) => h.status)).toEqual([200, 401]);
  });

  it('after revocation at the provider (RFC 7009): exactly one refresh attempt, then ReauthorizationRequiredError', async () => {
    // Revoking an access token at this provider (oidc-provider) also withdraws the refresh tokens of its grant.
    const revokedUser = `revoked-${randomBytes(4).toString('hex')}`;
    await connectUser(env.stack, lambda.client, revokedUser);
    const client = newClient();
    const before = await client.getAccessToken(revokedUser);
    const revoked = await postAsClient(env.stack.devProvider!.revocationUrl, env.clientSecret, {
      token: before.accessToken,
      token_type_hint: 'access_token',
    });
    expect(revoked.status).toBe(200);
    lambda.reset();
    api.hits.length = 0;

    const err = await client.apiRequest(revokedUser, '/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReauthorizationRequiredError);
    expect(lambda.invokes).toEqual({ [REFRESH]: 1 });
    expect((await env.stack.devProvider!.stats()).refreshFailures).toBe(1);
    // No retry with a token that cannot work.
    expect(hitsOf('/v1/me').map((h) => h.status)).toEqual([401]);
    expect(hitsOf('/v1/me')[0]!.tokenHash).toBe(sha256(before.accessToken));
  });

  it('the example Lambda answers a reconnect hint, and the profile for a connected user', async () => {
    const handler = createHandler(newClient());
    expect(await handler({ userId })).toEqual({ ok: true, profile: expect.objectContaining({ sub: userId }) });
    expect(await handler({ userId: lostUser })).toEqual({
      ok: false,
      reconnect: true,
      reason: 'reauthorization_required',
    });
    expect(await handler({ userId: `never-${randomBytes(3).toString('hex')}` })).toEqual({
      ok: false,
      reconnect: true,
      reason: 'not_connected',
    });
  });
});

describe('completeConnection (session binding)', () => {
  it('refuses a handle completed for another user, with InvalidRequestError', async () => {
    const local = env.stack;
    const started = await lambda.client.send(
      new InvokeCommand({
        FunctionName: 'connect',
        Payload: Buffer.from(JSON.stringify({ userId: 'cc-mallory', returnTo: `${local.baseUrl}/connected` })),
      }),
    );
    const { authorizationUrl } = JSON.parse(Buffer.from(started.Payload ?? []).toString('utf8')) as {
      authorizationUrl: string;
    };
    const callbackUrl = await completeAuthorization(authorizationUrl, { loginHint: 'cc-alice' });
    registerSensitive(callbackUrl.searchParams.get('code') ?? undefined);
    const res = await fetch(callbackUrl, { redirect: 'manual' });
    await res.arrayBuffer();
    const flowHandle = new URL(res.headers.get('location') ?? '', local.baseUrl).searchParams.get('flow') ?? '';
    registerSensitive(flowHandle);
    const client = new TokenVaultClient({ lambda: lambda.client });
    await expect(client.completeConnection(flowHandle, 'cc-alice')).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(client.getAccessToken('cc-mallory')).rejects.toBeInstanceOf(NotConnectedError);
  });
});

describe('applicationScoped (a caller granted per application)', () => {
  it('invokes through the application alias, and the vault refuses another application through it', async () => {
    const scoped = new TokenVaultClient({ lambda: lambda.client, applicationScoped: true });
    // Served through token-fetch:app-default (the stack's application).
    await expect(scoped.getAccessToken(userId, { minValiditySeconds: 0 })).resolves.toMatchObject({
      accessToken: expect.any(String),
    });
    // The alias of an application the stack does not have does not exist: the invocation fails as in Lambda.
    await expect(scoped.getAccessToken(userId, { applicationId: 'crm' })).rejects.toBeInstanceOf(VaultInternalError);
    // A caller that calls app-default's alias while naming crm is refused by the function itself.
    const raw = await lambda.client.send(
      new InvokeCommand({
        FunctionName: 'token-fetch',
        Qualifier: 'app-default',
        Payload: Buffer.from(JSON.stringify({ userId, applicationId: 'crm' })),
      }),
    );
    expect(JSON.parse(Buffer.from(raw.Payload ?? []).toString('utf8'))).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });
});
