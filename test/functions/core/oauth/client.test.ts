/** The OAuth client's parsing and classification of provider answers (fetch injected: faults a real peer can't give at will). */
import { createServer, type AddressInfo } from 'node:net';
import { OAuthClient } from '@token-vault/cdk/functions/core/oauth/client';
import { OAuthError } from '@token-vault/cdk/functions/core/oauth/errors';
import { parseRetryAfter } from '@token-vault/cdk/functions/core/oauth/retry-after';
import { codeChallengeS256 } from '@token-vault/cdk/functions/core/oauth/pkce';
import type { ProviderSettings } from '@token-vault/cdk/functions/core/oauth/types';

const settings: ProviderSettings = {
  authorizeUrl: 'https://auth.example.test/oauth/authorize',
  tokenUrl: 'https://auth.example.test/oauth/token',
  revocationUrl: 'https://auth.example.test/oauth/revoke',
  clientId: 'client id',
  redirectUri: 'https://vault.example.test/oauth/callback',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'json',
};

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function clientAnswering(answer: () => Response | Promise<Response>, overrides: Partial<ProviderSettings> = {}) {
  const sent: Sent[] = [];
  const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: url instanceof Request ? url.url : url.toString(),
      headers: init?.headers as Record<string, string>,
      body: typeof init?.body === 'string' ? init.body : '',
    });
    return answer();
  }) as typeof fetch;
  return {
    client: new OAuthClient(
      { ...settings, ...overrides },
      { fetch: fetchStub, timeoutMs: 200, now: () => Date.parse('2026-11-25T00:00:00Z') },
    ),
    sent,
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

async function failure(promise: Promise<unknown>): Promise<OAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError');
}

describe('OAuthClient', () => {
  it('builds an authorization URL with PKCE S256 and state', () => {
    const { client } = clientAnswering(() => json(200, {}));
    const url = new URL(
      client.authorizationUrl({ state: 'st', codeVerifier: 'v'.repeat(43), scopes: ['read', 'write'] }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client id',
      redirect_uri: 'https://vault.example.test/oauth/callback',
      scope: 'read write',
      state: 'st',
      code_challenge: codeChallengeS256('v'.repeat(43)),
      code_challenge_method: 'S256',
    });
  });

  it('parses a refresh answer and keeps absent fields absent', async () => {
    const { client, sent } = clientAnswering(() =>
      json(200, { access_token: 'at', token_type: 'Bearer', expires_in: '3600' }),
    );
    await expect(client.refresh('rt', 'secret')).resolves.toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresIn: 3600,
    });
    expect(new URLSearchParams(sent[0]!.body).get('client_secret')).toBe('secret');
  });

  it('authenticates with client_secret_basic (form-encoded id and secret)', async () => {
    const { client, sent } = clientAnswering(() => json(200, { access_token: 'at' }), {
      tokenEndpointAuth: 'client_secret_basic',
    });
    await client.refresh('rt', 's:e/cret');
    expect(sent[0]!.headers.authorization).toBe(`Basic ${Buffer.from('client%20id:s%3Ae%2Fcret').toString('base64')}`);
    expect(new URLSearchParams(sent[0]!.body).has('client_secret')).toBe(false);
  });

  it.each([
    [
      'invalid_grant',
      () => json(400, { error: 'invalid_grant', error_description: 'rt leaked here' }),
      'oauth_error',
      'invalid_grant',
    ],
    ['invalid_client', () => json(401, { error: 'invalid_client' }), 'oauth_error', 'invalid_client'],
    [
      '429 with Retry-After',
      () => json(429, { error: 'rate_limited' }, { 'retry-after': '7' }),
      'rate_limited',
      'rate_limited',
    ],
    ['seed rate_limited code on 400', () => json(400, { error: 'rate_limited' }), 'rate_limited', 'rate_limited'],
    [
      '503 HTML page',
      () => new Response('<html>down</html>', { status: 503, headers: { 'content-type': 'text/html' } }),
      'server_error',
      undefined,
    ],
    ['200 HTML page', () => new Response('<html>login</html>', { status: 200 }), 'invalid_response', undefined],
    ['invalid JSON', () => new Response('{"access_token":', { status: 200 }), 'invalid_response', undefined],
    ['missing access_token', () => json(200, { token_type: 'Bearer' }), 'invalid_response', undefined],
    ['empty body', () => new Response('', { status: 200 }), 'invalid_response', undefined],
  ])('classifies %s', async (_name, answer, kind, providerError) => {
    const { client } = clientAnswering(answer);
    const error = await failure(client.refresh('rt-value', 'secret-value'));
    expect(error.code).toBe(kind);
    expect(error.providerError).toBe(providerError);
    expect(error.message).not.toMatch(/rt-value|secret-value|leaked/);
    if (kind === 'rate_limited' && _name.startsWith('429')) expect(error.retryAfterMs).toBe(7000);
  });

  it('times out a hanging provider and marks the request as possibly processed', async () => {
    const { client } = clientAnswering(() => new Promise<Response>(() => undefined));
    // A stub fetch that never settles ignores the abort signal; use a real one against a dead port instead.
    const hanging = new OAuthClient(settings, {
      timeoutMs: 50,
      fetch: (_u: unknown, init?: RequestInit) =>
        new Promise((_r, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
        ),
    });
    const error = await failure(hanging.refresh('rt', 's'));
    expect(error.code).toBe('timeout');
    expect(error.isSafeToRetry).toBe(false);
    expect(client).toBeDefined();
  });

  it('treats a refused connection as never sent (safe to retry)', async () => {
    // A port that was free a moment ago: nothing listens there (port 1 would be a fetch-spec "bad port").
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const refused = new OAuthClient({ ...settings, tokenUrl: `http://127.0.0.1:${port}/token` }, { timeoutMs: 1000 });
    const error = await failure(refused.refresh('rt', 's'));
    expect(error.code).toBe('network');
    expect(error.isSafeToRetry).toBe(true);
  });

  it("revokes with the seed's JSON body or RFC 7009 form body", async () => {
    const jsonClient = clientAnswering(() => new Response('', { status: 200 }));
    await jsonClient.client.revokeRefreshToken('rt', 'secret');
    expect(JSON.parse(jsonClient.sent[0]!.body)).toEqual({
      token: 'rt',
      token_type_hint: 'refresh_token',
      client_id: 'client id',
      client_secret: 'secret',
    });
    const formClient = clientAnswering(() => new Response('', { status: 200 }), { revocationBody: 'form' });
    await formClient.client.revokeRefreshToken('rt', 'secret');
    expect(Object.fromEntries(new URLSearchParams(formClient.sent[0]!.body))).toEqual({
      token: 'rt',
      token_type_hint: 'refresh_token',
      client_id: 'client id',
      client_secret: 'secret',
    });
    const down = clientAnswering(() => new Response('', { status: 503 }));
    expect((await failure(down.client.revokeRefreshToken('rt', 'secret'))).code).toBe('server_error');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T00:00:00Z');
  it.each([
    ['12', 12_000],
    ['Wed, 25 Nov 2026 00:00:30 GMT', 30_000],
    ['Tue, 24 Nov 2026 00:00:00 GMT', 0],
    ['999999', 3_600_000],
    ['soon', undefined],
    [null, undefined],
  ])('%s -> %s ms', (value, expected) => expect(parseRetryAfter(value, now)).toBe(expected));
});
