/**
 * The caller library when access tokens really expire at the provider: a local stack whose development provider
 * issues 6-second access tokens, and clients whose clock lags (frozen), so they still believe the cached token
 * valid when the API already refuses it.
 */
import { randomBytes } from 'node:crypto';
import { TokenVaultClient } from '@token-vault/client';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import {
  connectUser,
  countingLambda,
  sha256,
  sleep,
  startClientStack,
  startResourceServer,
  type ClientStack,
  type CountingLambda,
  type ResourceServer,
} from './helpers';

const TTL_SECONDS = 6;
const FETCH = FUNCTIONS.tokenFetch.name;
const REFRESH = FUNCTIONS.refresh.name;

let env: ClientStack;
let lambda: CountingLambda;
let api: ResourceServer;
const userId = `user-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  env = await startClientStack(TTL_SECONDS);
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

/**
 * A client whose clock stands still at its creation: it keeps using its cached token past the real expiry. It
 * asks for 1 s of validity (the tokens here live 6 s, less than the default 60 s).
 */
function laggingClient(): TokenVaultClient {
  const frozen = Date.now();
  return new TokenVaultClient({
    lambda: lambda.client,
    apiBaseUrl: api.url,
    now: () => frozen,
    expirySkewSeconds: 1,
    minValiditySeconds: 1,
  });
}

/** Waits until the provider has certainly expired a token with this `expiresAt`. */
async function waitPast(expiresAt: string): Promise<void> {
  await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 1_000);
}

it('an access token expired at the provider leads to exactly one refresh and one retry', async () => {
  const client = laggingClient();
  const token = await client.getAccessToken(userId);
  expect((await client.apiRequest(userId, '/me')).status).toBe(200);
  await waitPast(token.expiresAt);
  lambda.reset();

  const res = await client.apiRequest(userId, '/me');
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ sub: userId });
  expect(lambda.invokes).toEqual({ [REFRESH]: 1 });
  expect((await env.stack.devProvider!.stats()).refreshGrants).toBe(1);
  const hits = api.hits.filter((h) => h.path === '/v1/me');
  expect(hits.map((h) => h.status)).toEqual([200, 401, 200]);
  expect(hits[1]!.tokenHash).toBe(sha256(token.accessToken));
  expect(hits[2]!.tokenHash).not.toBe(hits[1]!.tokenHash);
});

it('concurrent requests with an expired token share one refresh, and each retries once', async () => {
  const client = laggingClient();
  const token = await client.getAccessToken(userId);
  await waitPast(token.expiresAt);
  lambda.reset();
  api.hits.length = 0;

  const answers = await Promise.all(Array.from({ length: 5 }, () => client.apiRequest(userId, '/me')));
  await Promise.all(answers.map((r) => r.arrayBuffer()));
  expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  expect(lambda.invokes).toEqual({ [REFRESH]: 1 });
  expect((await env.stack.devProvider!.stats()).refreshGrants).toBe(1);
  const statuses = api.hits.map((h) => h.status).sort();
  expect(statuses).toEqual([200, 200, 200, 200, 200, 401, 401, 401, 401, 401]);
});

it('a client with a correct clock never sends an expired token: it asks token-fetch, which refreshes ahead', async () => {
  const client = new TokenVaultClient({ lambda: lambda.client, apiBaseUrl: api.url, expirySkewSeconds: 1 });
  const token = await client.getAccessToken(userId);
  await waitPast(token.expiresAt);
  lambda.reset();
  api.hits.length = 0;

  expect((await client.apiRequest(userId, '/me')).status).toBe(200);
  expect(lambda.invokes).toEqual({ [FETCH]: 1 });
  expect(api.hits.map((h) => h.status)).toEqual([200]);
});
