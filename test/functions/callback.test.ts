/**
 * The callback refuses every bad completion: replayed, unknown and expired state, the provider's
 * `error=access_denied`, an `iss` that is not the configured issuer. Nothing is stored, nothing reflected.
 */
import { AuthorizationService } from '@token-vault/cdk/functions/core/vault/authorization';
import { registerSensitive } from '../support/leak-guard';
import { testDeadline } from '../support/refresh';
import { RETURN_TO, callbackEvent, fakeContext, startVault, type Vault } from '../support/vault';
import { completeAuthorization } from '../../local/authorize';

let vault: Vault;

beforeAll(async () => {
  vault = await startVault();
});
afterAll(async () => vault.close());

async function connectionItems(): Promise<number> {
  return (await vault.resources.scanAll(vault.resources.connectionsTable)).filter((i) => !i.userId!.S!.startsWith('#'))
    .length;
}

async function startFlow(userId: string, returnTo?: string): Promise<string> {
  const answer = await vault.invoke('connect', { userId, ...(returnTo ? { returnTo } : {}) });
  expect(answer.ok).toBe(true);
  return String(answer.authorizationUrl);
}

/** The response must not carry anything that came in the query (code, state, provider text). */
function expectNothingReflected(
  response: { body?: string; headers?: Record<string, unknown> },
  query: URLSearchParams,
): void {
  const text = `${response.body ?? ''} ${JSON.stringify(response.headers ?? {})}`;
  for (const [name, value] of query) if (name !== 'iss' && value.length >= 6) expect(text.includes(value)).toBe(false);
}

describe('callback refusals', () => {
  it('consumes the state exactly once: a replay is refused and stores nothing more', async () => {
    const url = await startFlow('replay-user');
    const redirect = await completeAuthorization(url, { loginHint: 'replay-user' });
    registerSensitive(redirect.searchParams.get('code') ?? undefined);
    const first = await vault.handlers.callback(callbackEvent(redirect.search.slice(1)), fakeContext('callback'));
    expect(first.statusCode).toBe(200);
    const before = await connectionItems();
    const replay = await vault.handlers.callback(callbackEvent(redirect.search.slice(1)), fakeContext('callback'));
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain('invalid, expired or already used');
    expectNothingReflected(replay, redirect.searchParams);
    expect(await connectionItems()).toBe(before);
  });

  it('refuses an unknown state', async () => {
    const before = await connectionItems();
    const query = new URLSearchParams({ code: 'forged-code-value', state: 'forged-state-value-0123456789' });
    const response = await vault.handlers.callback(callbackEvent(query.toString()), fakeContext('callback'));
    expect(response.statusCode).toBe(400);
    expectNothingReflected(response, query);
    expect(await connectionItems()).toBe(before);
  });

  it('refuses an expired state (and redirects with a fixed code when returnTo is known)', async () => {
    // Start the flow 11 minutes in the past: its state expired a minute ago.
    const past = new AuthorizationService({
      applications: vault.container.applications(),
      states: vault.container.states(),
      now: () => Date.now() - 11 * 60 * 1000,
    });
    const { authorizationUrl } = await past.start(
      { userId: 'late-user', applicationId: 'default', returnTo: RETURN_TO },
      testDeadline(),
    );
    const before = await connectionItems();
    const response = await vault.authorizeAndCallback(authorizationUrl, { loginHint: 'late-user' });
    expect(response.statusCode).toBe(302);
    expect(String(response.headers!.location)).toBe(`${RETURN_TO}?status=error&error=invalid_request`);
    expect(await connectionItems()).toBe(before);
  });

  it("maps the provider's access_denied to status=error&error=access_denied, without its text", async () => {
    const url = await startFlow('denied-user', RETURN_TO);
    const before = await connectionItems();
    const response = await vault.authorizeAndCallback(url, { loginHint: 'deny' });
    expect(String(response.headers!.location)).toBe(`${RETURN_TO}?status=error&error=access_denied`);
    expect(await connectionItems()).toBe(before);
  });

  it('refuses an iss that is not the configured issuer (RFC 9207 mix-up defence)', async () => {
    const url = await startFlow('mixup-user', RETURN_TO);
    const before = await connectionItems();
    let query: URLSearchParams | undefined;
    const response = await vault.authorizeAndCallback(url, {
      loginHint: 'mixup-user',
      tamper: (q) => {
        q.set('iss', 'https://attacker.example.test');
        query = q;
      },
    });
    expect(String(response.headers!.location)).toBe(`${RETURN_TO}?status=error&error=invalid_request`);
    expectNothingReflected(response, query!);
    expect(await connectionItems()).toBe(before);
  });

  it('refuses a missing iss when an issuer is configured', async () => {
    const url = await startFlow('noiss-user', RETURN_TO);
    const response = await vault.authorizeAndCallback(url, { loginHint: 'noiss-user', tamper: (q) => q.delete('iss') });
    expect(String(response.headers!.location)).toBe(`${RETURN_TO}?status=error&error=invalid_request`);
  });

  it("refuses a code presented with another flow's state (wrong PKCE verifier): nothing stored", async () => {
    const victimFlow = await startFlow('pkce-user', RETURN_TO);
    const attackerFlow = await startFlow('pkce-user', RETURN_TO);
    const victimRedirect = await completeAuthorization(victimFlow, { loginHint: 'pkce-user' });
    const victimCode = victimRedirect.searchParams.get('code')!;
    registerSensitive(victimCode);
    const attackerState = new URL(attackerFlow).searchParams.get('state')!;
    const before = await connectionItems();
    const query = new URLSearchParams({
      code: victimCode,
      state: attackerState,
      iss: victimRedirect.searchParams.get('iss')!,
    });
    const response = await vault.handlers.callback(callbackEvent(query.toString()), fakeContext('callback'));
    expect(String(response.headers!.location)).toBe(`${RETURN_TO}?status=error&error=authorization_failed`);
    expectNothingReflected(response, query);
    expect(await connectionItems()).toBe(before);
  });

  it('refuses repeated or oversized parameters and script in error before touching the store', async () => {
    for (const raw of [
      'state=a&state=b&code=c',
      `code=${'x'.repeat(3000)}&state=abc`,
      'error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=zzz',
      '',
    ]) {
      const response = await vault.handlers.callback(callbackEvent(raw), fakeContext('callback'));
      expect(response.statusCode).toBe(400);
      expect(response.body).not.toContain('<script>');
      expect(response.headers).toMatchObject({
        'cache-control': 'no-store',
        'content-security-policy': expect.stringContaining("default-src 'none'"),
      });
    }
  });
});
