/**
 * The caller library without the stack: invoke failures and answer mapping with a stand-in Lambda client, and
 * the pure helpers (challenge and Retry-After parsing, backoff, endpoint resolution, the token cache).
 */
import type { InvokeCommand, InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  backoffDelayMs,
  ERROR_CODES,
  errorFromAnswer,
  InsufficientScopeError,
  InvalidRequestError,
  NotConnectedError,
  parseBearerChallenge,
  parseRetryAfter,
  ProviderUnavailableError,
  RateLimitedError,
  ReauthorizationRequiredError,
  RETRYABLE,
  retryAfterMs,
  TokenCache,
  TokenVaultClient,
  TokenVaultError,
  VaultInternalError,
  type TokenAnswer,
} from '@token-vault/client';
import {
  MAX_RETRY_AFTER_MS,
  parseRetryAfter as providerRetryAfter,
} from '@token-vault/cdk/functions/core/oauth/retry-after';
import { resolveEndpoint } from '../../packages/client/src/api-request';

type Reply = Partial<InvokeCommandOutput> | Error;

/** A Lambda client stand-in: records the requests, answers from `replies` in order. */
function fakeLambda(...replies: Reply[]): {
  client: LambdaClient;
  calls: Array<{ FunctionName: string; payload: unknown }>;
} {
  const calls: Array<{ FunctionName: string; payload: unknown }> = [];
  const client = {
    send: (command: InvokeCommand) => {
      const input = command.input;
      calls.push({
        FunctionName: String(input.FunctionName),
        payload: JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8')),
      });
      const reply = replies.shift();
      if (!reply) return Promise.reject(new Error('no reply left'));
      return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
    },
  } as unknown as LambdaClient;
  return { client, calls };
}

const payload = (value: unknown): Partial<InvokeCommandOutput> => ({
  StatusCode: 200,
  Payload: new TextEncoder().encode(JSON.stringify(value)) as InvokeCommandOutput['Payload'],
});
const tokenAnswer = (accessToken: string, expiresInMs = 3_600_000): TokenAnswer => ({
  ok: true,
  accessToken,
  tokenType: 'Bearer',
  expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
  scope: 'read write',
});
const errorAnswer = (code: string, extra: Record<string, unknown> = {}) =>
  payload({ ok: false, error: { code, message: `m-${code}`, retryable: false, ...extra } });

describe('TokenVaultClient invoke handling', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('sends the contract request to the configured functions (env var names, else the contract names)', async () => {
    process.env.TOKEN_VAULT_TOKEN_FETCH_FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:tv-token-fetch';
    const { client, calls } = fakeLambda(
      payload(tokenAnswer('t-unit-aaaaaaaa')),
      payload(tokenAnswer('t-unit-bbbbbbbb')),
    );
    const vault = new TokenVaultClient({ lambda: client, applicationId: 'crm' });
    await vault.getAccessToken('u1', { minValiditySeconds: 120 });
    await vault.refreshAccessToken('u1', { rejectedAccessToken: 't-unit-aaaaaaaa' });
    expect(calls).toEqual([
      {
        FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:tv-token-fetch',
        payload: { userId: 'u1', applicationId: 'crm', minValiditySeconds: 120 },
      },
      {
        FunctionName: 'refresh',
        payload: { userId: 'u1', applicationId: 'crm', rejectedAccessToken: 't-unit-aaaaaaaa' },
      },
    ]);
  });

  it('maps a FunctionError to VaultInternalError without quoting the payload', async () => {
    const { client } = fakeLambda({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode('{"errorMessage":"boom secret-detail"}') as InvokeCommandOutput['Payload'],
    });
    const err = await new TokenVaultClient({ lambda: client }).getAccessToken('u1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultInternalError);
    expect(err).toMatchObject({ code: 'internal_error', retryable: true });
    expect((err as Error).message).not.toContain('secret-detail');
  });

  it('maps a failed Invoke call (SDK error) to VaultInternalError with the cause', async () => {
    const sdkError = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    const { client } = fakeLambda(sdkError);
    const err = await new TokenVaultClient({ lambda: client }).getAccessToken('u1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultInternalError);
    expect((err as Error).cause).toBe(sdkError);
    expect((err as Error).message).toContain('TooManyRequestsException');
  });

  it('refuses answers that are not contract answers', async () => {
    for (const bad of [
      payload({ ok: true, accessToken: 'x' }),
      payload([1]),
      { StatusCode: 200, Payload: new TextEncoder().encode('not json') as InvokeCommandOutput['Payload'] },
      errorAnswer('no_such_code'),
    ]) {
      const { client } = fakeLambda(bad);
      await expect(new TokenVaultClient({ lambda: client }).getAccessToken('u1')).rejects.toBeInstanceOf(
        VaultInternalError,
      );
    }
  });

  it.each([
    ['invalid_request', InvalidRequestError],
    ['not_connected', NotConnectedError],
    ['reauthorization_required', ReauthorizationRequiredError],
    ['insufficient_scope', InsufficientScopeError],
    ['rate_limited', RateLimitedError],
    ['provider_unavailable', ProviderUnavailableError],
    ['internal_error', VaultInternalError],
  ] as const)('maps %s to its typed error', async (code, type) => {
    const { client } = fakeLambda(errorAnswer(code, { retryAfterSeconds: 7 }));
    const err = await new TokenVaultClient({ lambda: client }).getAccessToken('u1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect(err).toBeInstanceOf(TokenVaultError);
    expect(err).toMatchObject({ code, retryable: RETRYABLE[code], message: `m-${code}` });
  });

  it('covers every contract error code', () => {
    for (const code of ERROR_CODES) {
      const err = errorFromAnswer({ code, message: 'x', retryable: RETRYABLE[code] });
      expect(err.code).toBe(code);
    }
    expect(
      errorFromAnswer({ code: 'rate_limited', message: 'x', retryable: true, retryAfterSeconds: 12 }).retryAfterSeconds,
    ).toBe(12);
  });

  it('backs off and retries when the vault itself answers rate_limited', async () => {
    const sleeps: number[] = [];
    const { client, calls } = fakeLambda(
      errorAnswer('rate_limited', { retryAfterSeconds: 1 }),
      payload(tokenAnswer('t-unit-cccccccc')),
    );
    const fetched: string[] = [];
    const vault = new TokenVaultClient({
      lambda: client,
      apiBaseUrl: 'https://api.example.test/v1',
      random: () => 0,
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      fetch: (input) => (
        fetched.push(input instanceof URL ? input.href : typeof input === 'string' ? input : input.url),
        Promise.resolve(new Response('{}', { status: 200 }))
      ),
    });
    expect((await vault.apiRequest('u1', '/me')).status).toBe(200);
    expect(sleeps).toEqual([1000]);
    expect(calls).toHaveLength(2);
    expect(fetched).toEqual(['https://api.example.test/v1/me']);
  });

  it('refreshes on a plain 401 too, but not on a 401 with another Bearer error, and retries only once', async () => {
    const { client, calls } = fakeLambda(
      payload(tokenAnswer('t-unit-dddddddd')),
      payload(tokenAnswer('t-unit-eeeeeeee')),
    );
    const statuses = [
      new Response(null, { status: 401 }),
      new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }),
    ];
    const seen: string[] = [];
    const vault = new TokenVaultClient({
      lambda: client,
      fetch: (_input, init) => (
        seen.push(new Headers(init?.headers).get('authorization') ?? ''),
        Promise.resolve(statuses.shift()!)
      ),
    });
    const res = await vault.apiRequest('u1', '/me');
    // The second 401 is handed back: no second refresh, no loop.
    expect(res.status).toBe(401);
    expect(calls.map((c) => c.FunctionName)).toEqual(['token-fetch', 'refresh']);
    expect(seen).toEqual(['Bearer t-unit-dddddddd', 'Bearer t-unit-eeeeeeee']);

    const other = fakeLambda(payload(tokenAnswer('t-unit-ffffffff')));
    const vault2 = new TokenVaultClient({
      lambda: other.client,
      fetch: () =>
        Promise.resolve(
          new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_request"' } }),
        ),
    });
    expect((await vault2.apiRequest('u1', '/me')).status).toBe(401);
    expect(other.calls.map((c) => c.FunctionName)).toEqual(['token-fetch']);
  });
  it('backs off when refresh is rate limited, then refreshes and retries once', async () => {
    const sleeps: number[] = [];
    const { client, calls } = fakeLambda(
      payload(tokenAnswer('t-unit-hhhhhhhh')),
      errorAnswer('rate_limited', { retryAfterSeconds: 2 }),
      payload(tokenAnswer('t-unit-iiiiiiii')),
    );
    const replies = [
      new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }),
      new Response('{}', { status: 200 }),
    ];
    const vault = new TokenVaultClient({
      lambda: client,
      random: () => 0,
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      fetch: () => Promise.resolve(replies.shift()!),
    });
    expect((await vault.apiRequest('u1', '/me')).status).toBe(200);
    expect(calls.map((c) => c.FunctionName)).toEqual(['token-fetch', 'refresh', 'refresh']);
    expect(sleeps).toEqual([2000]);
    // The refreshed token is cached.
    expect((await vault.getAccessToken('u1')).accessToken).toBe('t-unit-iiiiiiii');
    expect(calls).toHaveLength(3);
  });
});

describe('helpers', () => {
  it('parses Bearer challenges', () => {
    expect(parseBearerChallenge('Bearer realm="api", error="invalid_token", error_description="expired"')).toEqual({
      error: 'invalid_token',
      scope: undefined,
    });
    expect(parseBearerChallenge('Bearer error=insufficient_scope, scope="admin write"')).toEqual({
      error: 'insufficient_scope',
      scope: 'admin write',
    });
    expect(parseBearerChallenge('Basic realm="x", Bearer error="invalid_token"')).toEqual({
      error: 'invalid_token',
      scope: undefined,
    });
    expect(parseBearerChallenge('Bearer realm="api"')).toEqual({ error: undefined, scope: undefined });
    expect(parseBearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseBearerChallenge(null)).toBeUndefined();
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('uses full jitter capped by backoffMaxMs', () => {
    const deps = (r: number) => ({ random: () => r, backoffBaseMs: 100, backoffMaxMs: 1000 });
    expect(backoffDelayMs(0, undefined, deps(0))).toBe(0);
    expect(backoffDelayMs(0, undefined, deps(0.5))).toBe(50);
    expect(backoffDelayMs(3, undefined, deps(0.5))).toBe(400);
    expect(backoffDelayMs(10, undefined, deps(0.5))).toBe(500);
    expect(backoffDelayMs(0, 3, deps(0.5))).toBe(3050);
  });

  it('resolves endpoints under the base URL only', () => {
    expect(resolveEndpoint('https://api.otesse.com/v1', '/me').href).toBe('https://api.otesse.com/v1/me');
    expect(resolveEndpoint('https://api.otesse.com/v1/', '/users/42?x=1').href).toBe(
      'https://api.otesse.com/v1/users/42?x=1',
    );
    expect(() => resolveEndpoint('https://api.otesse.com/v1', 'me')).toThrow(TypeError);
    expect(() => resolveEndpoint('https://api.otesse.com/v1', '//evil.example/x')).toThrow(TypeError);
    expect(() => resolveEndpoint('https://api.otesse.com/v1', 'https://evil.example/x')).toThrow(TypeError);
  });
});

describe('TokenCache', () => {
  it('does not store a load that an invalidation overtook', async () => {
    const cache = new TokenCache({ now: Date.now, skewMs: 0 });
    let release: (t: TokenAnswer) => void = () => undefined;
    const slow = cache.getOrLoad('k', () => new Promise<TokenAnswer>((r) => (release = r)));
    cache.invalidate('k');
    release(tokenAnswer('t-unit-gggggggg'));
    await slow;
    expect(cache.get('k')).toBeUndefined();
  });

  it('answers a token someone else already put in place of the rejected one, without loading', async () => {
    const cache = new TokenCache({ now: Date.now, skewMs: 0 });
    await cache.getOrLoad('k', () => Promise.resolve(tokenAnswer('t-unit-newnewnew')));
    const load = jest.fn(() => Promise.resolve(tokenAnswer('t-unit-other000')));
    expect((await cache.replace('k', 't-unit-oldoldold', load)).accessToken).toBe('t-unit-newnewnew');
    expect(load).not.toHaveBeenCalled();
  });

  it('a caller that joined a more demanding load runs its own, once, when that load failed on its demand', async () => {
    const cache = new TokenCache({ now: Date.now, skewMs: 30_000 });
    const stored = tokenAnswer('t-unit-stored00', 300_000);
    // The vault during an outage: the stored token (300 s left) meets 60 s, not 600 s.
    const loads: number[] = [];
    const tokenFetch = (demandMs: number) => () => {
      loads.push(demandMs);
      return new Promise<TokenAnswer>((resolve, reject) =>
        setTimeout(
          () => (demandMs <= 300_000 ? resolve(stored) : reject(new ProviderUnavailableError('provider down'))),
          5,
        ),
      );
    };
    const demanding = cache.getOrLoad('k', tokenFetch(600_000), 600_000).catch((e: unknown) => e);
    const modest = cache.getOrLoad('k', tokenFetch(60_000), 60_000).catch((e: unknown) => e);
    const alsoModest = cache.getOrLoad('k', tokenFetch(60_000), 60_000).catch((e: unknown) => e);
    expect(await demanding).toBeInstanceOf(ProviderUnavailableError);
    expect(await modest).toEqual(stored);
    expect(await alsoModest).toEqual(stored);
    // The two modest callers share one load of their own.
    expect(loads).toEqual([600_000, 60_000]);
  });

  it('a failure that does not depend on the demand, or of a load that asked as much, is shared', async () => {
    const cache = new TokenCache({ now: Date.now, skewMs: 0 });
    const load = jest.fn(() => Promise.reject(new NotConnectedError('no connection')));
    const demanding = cache.getOrLoad('k', load, 600_000).catch((e: unknown) => e);
    const modest = cache.getOrLoad('k', load, 60_000).catch((e: unknown) => e);
    expect(await demanding).toBeInstanceOf(NotConnectedError);
    expect(await modest).toBeInstanceOf(NotConnectedError);
    expect(load).toHaveBeenCalledTimes(1);

    const limited = jest.fn(() => Promise.reject(new RateLimitedError('slow down')));
    const first = cache.getOrLoad('j', limited, 60_000).catch((e: unknown) => e);
    const second = cache.getOrLoad('j', limited, 60_000).catch((e: unknown) => e);
    expect(await first).toBeInstanceOf(RateLimitedError);
    expect(await second).toBeInstanceOf(RateLimitedError);
    expect(limited).toHaveBeenCalledTimes(1);
  });

  it('evicts the oldest entries beyond maxEntries and never serves expired ones', async () => {
    let now = Date.now();
    const cache = new TokenCache({ now: () => now, skewMs: 1000, maxEntries: 2 });
    for (const k of ['a', 'b', 'c'])
      await cache.getOrLoad(k, () => Promise.resolve(tokenAnswer(`t-unit-${k}xxxxxxx`, 10_000)));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();
    now += 9_500;
    expect(cache.get('c')).toBeUndefined();
  });
});

describe('TokenVaultClient.status', () => {
  it('invokes status and answers the connections; error answers throw the error class', async () => {
    const connection = {
      applicationId: 'crm',
      status: 'reauthorization_required',
      reauthorizationReason: 'invalid_grant',
    };
    const { client, calls } = fakeLambda(
      payload({ ok: true, connections: [connection] }),
      errorAnswer('invalid_request'),
    );
    const vault = new TokenVaultClient({ lambda: client, statusFunction: 'tv-status' });
    expect(await vault.status('u1')).toEqual([connection]);
    expect(calls).toEqual([{ FunctionName: 'tv-status', payload: { userId: 'u1' } }]);
    await expect(vault.status('u1', { applicationId: 'nope' })).rejects.toBeInstanceOf(InvalidRequestError);
    expect(calls[1]!.payload).toEqual({ userId: 'u1', applicationId: 'nope' });
  });
});

describe('one Retry-After parser for the library and the functions', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads milliseconds: delay-seconds, an HTTP-date (past dates are 0), nothing for junk', () => {
    expect(retryAfterMs(' 5 ', now)).toBe(5000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:01 GMT', now)).toBe(1000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
  it('the library speaks seconds, rounded up; the functions clamp at an hour', () => {
    expect(parseRetryAfter(new Date(now + 1500).toUTCString(), now)).toBe(1);
    expect(parseRetryAfter(String(7200), now)).toBe(7200);
    expect(providerRetryAfter(String(7200), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(providerRetryAfter('2', now)).toBe(2000);
  });
});
