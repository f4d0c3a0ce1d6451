/**
 * Refresh failures against a real provider with injected faults (oidc-provider): transient ones (503, timeouts,
 * 429 with Retry-After, unreadable answers) keep a still-valid token in service or answer a retryable error with
 * `retryAfterSeconds`, and a cool-down bounds the provider calls; slow answers succeed; a rejected client is an
 * operator problem, not the user's. `invalid_grant` needs the user again, against oidc-provider (grants
 * withdrawn) and Keycloak (the user's sessions ended) alike.
 */
import { Container } from '@token-vault/cdk/functions/runtime/container';
import {
  ageAccessToken,
  closeContainer,
  expectOk,
  expectSameToken,
  sleep,
  storedRecord,
  testDeadline,
} from '../support/refresh';
import { SERVERS, startVault, type AnyVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  vault = await startVault({ env: { TOKEN_VAULT_PROVIDER_TIMEOUT_MS: '1000' } });
});
afterAll(async () => vault.close());
afterEach(async () => vault.provider.clearFaults());

/** Connects a user; the stored token is then made `validForMs` from expiry (negative: expired) and so due. */
async function dueConnection(
  userId: string,
  validForMs: number,
  at: AnyVault = vault,
): Promise<Record<string, unknown>> {
  await at.connectUser(userId);
  const first = await at.invoke('tokenFetch', { userId, minValiditySeconds: 0 });
  await ageAccessToken(at, userId, validForMs);
  await at.server.resetStats();
  return first;
}

const fetchToken = (userId: string, at: AnyVault = vault): Promise<Record<string, unknown>> =>
  at.invoke('tokenFetch', { userId, minValiditySeconds: 0 });

function retryAfterOf(answer: Record<string, unknown>): number {
  return (answer.error as { retryAfterSeconds: number }).retryAfterSeconds;
}

describe('provider 503', () => {
  it('serves the still-valid token when the refresh fails, and cools down', async () => {
    const first = await dueConnection('u503-valid', 100_000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 3 });
    const answer = await fetchToken('u503-valid');
    expectOk(answer);
    expectSameToken(answer.accessToken, first.accessToken);
    // One refresh: the first call and its two retries (a 503 leaves the refresh token unused).
    expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 3, refreshGrants: 0, reuseDetected: 0 });
    const record = (await storedRecord(vault, 'u503-valid'))!;
    expect(record).toMatchObject({ status: 'active', lastErrorCode: 'provider_unavailable' });
    expect(record.cooldownUntil).toBeGreaterThan(Date.now() + 25_000);
    // During the cool-down the valid token keeps being served without a provider call.
    const during = await fetchToken('u503-valid');
    expectOk(during);
    expectSameToken(during.accessToken, first.accessToken);
    expect((await vault.provider.stats()).tokenRequests).toBe(3);
  });

  it('serves the stored token during the outage only when it has minValiditySeconds left', async () => {
    // 100 s left of a 1-hour token: due (5-minute margin), valid for a caller asking 60 s, not for one asking 200 s.
    const first = await dueConnection('u503-min-validity', 100_000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 3 });
    const strict = await vault.invoke('tokenFetch', { userId: 'u503-min-validity', minValiditySeconds: 200 });
    expect(strict).toMatchObject({ ok: false, error: { code: 'provider_unavailable', retryable: true } });
    expect(retryAfterOf(strict)).toBe(30);
    expect((await vault.provider.stats()).tokenRequests).toBe(3);
    // During the cool-down: the same token for a caller it satisfies, none for one it does not, no provider call.
    const lenient = await vault.invoke('tokenFetch', { userId: 'u503-min-validity', minValiditySeconds: 60 });
    expectOk(lenient);
    expectSameToken(lenient.accessToken, first.accessToken);
    expect(new Date(String(lenient.expiresAt)).getTime() - Date.now()).toBeGreaterThanOrEqual(60_000);
    expect(await vault.invoke('tokenFetch', { userId: 'u503-min-validity', minValiditySeconds: 200 })).toMatchObject({
      ok: false,
      error: { code: 'provider_unavailable' },
    });
    expect((await vault.provider.stats()).tokenRequests).toBe(3);
  });

  it('answers provider_unavailable with retryAfterSeconds when the token has expired', async () => {
    await dueConnection('u503-expired', -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 3 });
    const answer = await fetchToken('u503-expired');
    expect(answer).toMatchObject({ ok: false, error: { code: 'provider_unavailable', retryable: true } });
    expect(retryAfterOf(answer)).toBe(30);
    expect((await vault.provider.stats()).tokenRequests).toBe(3);
    const again = await fetchToken('u503-expired');
    expect(again).toMatchObject({ ok: false, error: { code: 'provider_unavailable', retryable: true } });
    expect(retryAfterOf(again)).toBeLessThanOrEqual(30);
    expect((await vault.provider.stats()).tokenRequests).toBe(3);
    expect((await storedRecord(vault, 'u503-expired'))!.status).toBe('active');
  });

  it('recovers when a retry gets through', async () => {
    await dueConnection('u503-once', -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 1 });
    expectOk(await fetchToken('u503-once'));
    expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 2, refreshGrants: 1, reuseDetected: 0 });
  });
});

describe('timeouts and slow answers', () => {
  it('a provider that never answers times out after PROVIDER_TIMEOUT_MS, without a retry (the token may have been used)', async () => {
    await dueConnection('u-hang', -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'hang' });
    const started = Date.now();
    const answer = await fetchToken('u-hang');
    const elapsed = Date.now() - started;
    expect(answer).toMatchObject({ ok: false, error: { code: 'provider_unavailable', retryable: true } });
    expect(retryAfterOf(answer)).toBeGreaterThanOrEqual(1);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(4000);
    expect((await vault.provider.stats()).tokenRequests).toBe(1);
  });

  it('a slow answer within the timeout succeeds', async () => {
    await dueConnection('u-slow', -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'slow', delayMs: 600 });
    const started = Date.now();
    expectOk(await fetchToken('u-slow'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0 });
  });

  it('an unreadable answer (an HTML page) is transient: provider_unavailable, not a logout', async () => {
    await dueConnection('u-html', -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'html' });
    expect(await fetchToken('u-html')).toMatchObject({
      ok: false,
      error: { code: 'provider_unavailable', retryable: true },
    });
    expect((await storedRecord(vault, 'u-html'))!.status).toBe('active');
  });
});

describe('429 with Retry-After', () => {
  it('Retry-After beyond the time budget: rate_limited with retryAfterSeconds >= Retry-After, one provider call', async () => {
    await dueConnection('u429-long', -1000);
    await vault.provider.injectFault({
      endpoint: 'token',
      mode: 'status',
      status: 429,
      retryAfter: '40',
      body: { error: 'rate_limited' },
    });
    const answer = await fetchToken('u429-long');
    expect(answer).toMatchObject({ ok: false, error: { code: 'rate_limited', retryable: true } });
    expect(retryAfterOf(answer)).toBeGreaterThanOrEqual(40);
    expect((await vault.provider.stats()).tokenRequests).toBe(1);
    // The cool-down lasts as long as the provider asked: still rate_limited, still no provider call.
    const again = await fetchToken('u429-long');
    expect(again).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(retryAfterOf(again)).toBeGreaterThan(30);
    expect((await vault.provider.stats()).tokenRequests).toBe(1);
  });

  it('a short Retry-After is waited out (it wins over the backoff) and the retry succeeds', async () => {
    await dueConnection('u429-short', -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 429, retryAfter: '1' });
    const started = Date.now();
    expectOk(await fetchToken('u429-short'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 2, refreshGrants: 1, reuseDetected: 0 });
  });
});

describe('cool-down', () => {
  it('bounds provider calls to one refresh per window, however many callers in however many containers ask', async () => {
    await dueConnection('u-cool', -1000);
    const env = { ...process.env, ...vault.env, TOKEN_VAULT_REFRESH_COOLDOWN_SECONDS: '6' };
    const containers = [new Container(env), new Container(env), new Container(env)];
    try {
      await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 1000 });
      const answers: Array<{ ok: boolean; code?: string }> = [];
      // 6 waves of 30 callers, spread over the three containers, all inside one cool-down window.
      for (let wave = 0; wave < 6; wave++) {
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            containers[i % 3]!.tokens()
              .fetch({ userId: 'u-cool', applicationId: 'default', minValiditySeconds: 0 }, testDeadline())
              .then(() => ({ ok: true }))
              .catch((error: { code?: string }) => ({ ok: false, code: error.code })),
          ),
        );
        answers.push(...results);
        await sleep(100);
      }
      const cooldownUntil = (await storedRecord(vault, 'u-cool'))!.cooldownUntil!;
      expect(Date.now()).toBeLessThan(cooldownUntil);
      expect(answers).toHaveLength(180);
      expect(answers.every((a) => !a.ok && a.code === 'provider_unavailable')).toBe(true);
      // One refresh attempt in the whole window: the first call and its two retries.
      expect((await vault.provider.stats()).tokenRequests).toBe(3);

      // After the window, the next caller tries again (and succeeds now that the provider is back).
      await vault.provider.clearFaults();
      await sleep(Math.max(0, cooldownUntil - Date.now() + 50));
      await containers[0]!
        .tokens()
        .fetch({ userId: 'u-cool', applicationId: 'default', minValiditySeconds: 0 }, testDeadline());
      expect(await vault.provider.stats()).toMatchObject({ tokenRequests: 4, refreshGrants: 1, reuseDetected: 0 });
      expect((await storedRecord(vault, 'u-cool'))!.cooldownUntil).toBeUndefined();
    } finally {
      for (const c of containers) closeContainer(c);
    }
  });
});

describe.each(SERVERS)('invalid_grant (%s)', (server) => {
  let at: AnyVault;

  beforeAll(async () => {
    at = server === 'oidc-provider' ? vault : await startVault({ server });
  });
  afterAll(async () => {
    if (at !== vault) await at?.close();
  });

  it('after the user withdrew consent: reauthorization_required for every caller, kept until the user connects again', async () => {
    await dueConnection('u-withdrawn', -1000, at);
    // oidc-provider: the account's grants withdrawn. Keycloak: the user's sessions ended, the offline one included.
    expect(await at.server.endUserSessions('u-withdrawn')).toBeGreaterThan(0);
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetchToken('u-withdrawn', at)));
    for (const answer of answers)
      expect(answer).toMatchObject({ ok: false, error: { code: 'reauthorization_required', retryable: false } });
    expect(await at.server.stats()).toMatchObject({ tokenRequests: 1, refreshFailures: 1, reuseDetected: 0 });
    const record = (await storedRecord(at, 'u-withdrawn'))!;
    expect(record).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'invalid_grant' });
    for (const field of [
      'accessToken',
      'refreshToken',
      'encryptedDataKey',
      'dueShard',
      'refreshDueAt',
      'leaseOwner',
    ] as const)
      expect(record[field]).toBeUndefined();

    // Kept: neither token-fetch nor a forced refresh calls the provider again.
    expect(await fetchToken('u-withdrawn', at)).toMatchObject({
      ok: false,
      error: { code: 'reauthorization_required' },
    });
    expect(await at.invoke('refresh', { userId: 'u-withdrawn' })).toMatchObject({
      ok: false,
      error: { code: 'reauthorization_required' },
    });
    expect((await at.server.stats()).tokenRequests).toBe(1);

    await at.connectUser('u-withdrawn');
    expectOk(await fetchToken('u-withdrawn', at));
  });
});

describe('permanent failures', () => {
  it('invalid_client is an operator problem: internal_error, the user stays connected', async () => {
    await dueConnection('u-client', -1000);
    await vault.provider.injectFault({
      endpoint: 'token',
      mode: 'status',
      status: 401,
      body: { error: 'invalid_client' },
    });
    const answer = await fetchToken('u-client');
    expect(answer).toMatchObject({ ok: false, error: { code: 'internal_error', retryable: true } });
    // The client secret is re-read once; it did not change, so the provider is not asked again.
    expect((await vault.provider.stats()).tokenRequests).toBe(1);
    const record = (await storedRecord(vault, 'u-client'))!;
    expect(record.status).toBe('active');
    expect(record.refreshToken).toBeDefined();
  });
});
