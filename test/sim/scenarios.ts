/**
 * Scripted regression scenarios: each drives the simulated world into one of the situations in which the
 * guarantees broke before the refresh core's redesign (the defect it pins is in its name), with the delays,
 * stalls and races placed exactly. They run against any core adapter: the world speaks only the contract.
 * Each returns the invariants' violations plus its own expectations that failed.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Invariants } from './invariants';
import { QuietNetwork, ScriptedFaults, type Fault } from './network';
import type { ProviderSettings } from './provider-model';
import { SIM_APP, SIM_RETURN_TO, World, type CoreAdapter, type Invocation, type SimAnswer } from './world';

export interface ScenarioResult {
  readonly violations: readonly string[];
  readonly failures: readonly string[];
  readonly trace: readonly string[];
}

/** What a scenario script can do. Every call is an invocation of the vault's functions, as a caller would make. */
export interface Script {
  readonly world: World;
  readonly faults: ScriptedFaults;
  /** connect -> the user consents -> callback; resolves with the callback's invocation. */
  connect(userId: string, options?: { callbackDelayMs?: number; where?: string }): Promise<Invocation>;
  fetch(userId: string, options?: { minValiditySeconds?: number; where?: string }): Promise<Invocation>;
  refresh(userId: string, options?: { rejectedAccessToken?: string; where?: string }): Promise<Invocation>;
  revoke(userId: string, options?: { reason?: string; where?: string }): Promise<Invocation>;
  sweep(where?: string): Promise<Invocation>;
  sleep(ms: number): Promise<void>;
  /** Moves a stored token's times, as if time had passed for it (not a vault call). */
  age(userId: string, times: { issuedAgoMs: number; validForMs: number }): void;
  /** Records an expectation that failed. */
  fail(message: string): void;
}

export interface Scenario {
  readonly name: string;
  readonly provider?: Partial<Omit<ProviderSettings, 'clientId'>>;
  /** Extra function environment (tunables). */
  readonly env?: Record<string, string>;
  run(script: Script): Promise<void>;
}

const ok = (inv: Invocation): boolean => (inv.answer as SimAnswer | undefined)?.ok === true;
const code = (inv: Invocation): string | undefined =>
  ((inv.answer as SimAnswer | undefined)?.error as { code?: string } | undefined)?.code;
const token = (inv: Invocation): string | undefined =>
  (inv.answer as SimAnswer | undefined)?.accessToken as string | undefined;
const slow = (latencyMs: number): Fault => ({ kind: 'ok', latencyMs });
const stall: Fault = { kind: 'stall' };
const lost = (latencyMs = 5): Fault => ({ kind: 'lost', latencyMs });
const http = (status: number, latencyMs = 20, retryAfterSeconds?: number): Fault => ({
  kind: 'error',
  name: 'http',
  status,
  latencyMs,
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});
const awsError = (name: string, latencyMs = 5): Fault => ({ kind: 'error', name, latencyMs });

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'AWS timeouts: a stalled DynamoDB read still gets an answer in time',
    async run(s) {
      await s.connect('alice');
      s.faults.add({ service: 'DynamoDB', operation: 'Get', container: 'token-fetch' }, stall, { times: 5 });
      const inv = await s.fetch('alice');
      if (inv.answeredAt === undefined) s.fail('token-fetch never answered');
      else if (code(inv) !== 'internal_error')
        s.fail(`answered ${JSON.stringify(inv.answer)}, expected internal_error`);
    },
  },
  {
    name: 'AWS timeouts: a stalled KMS call during a refresh still gets an answer in time',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults.add({ service: 'KMS', container: 'token-fetch' }, stall, { times: 6 });
      const inv = await s.fetch('alice');
      if (inv.answeredAt === undefined) s.fail('token-fetch never answered');
    },
  },
  {
    name: 'lease: slow KMS and Secrets Manager under the lease do not let a second container present the same token',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults
        .add({ service: 'KMS', operation: 'Decrypt', container: 'token-fetch' }, slow(14_000))
        .add({ service: 'SecretsManager', container: 'token-fetch' }, slow(8_000))
        .add({ service: 'Provider', operation: 'token', container: 'token-fetch' }, slow(4_000));
      const first = s.fetch('alice', { where: 'new' });
      await s.sleep(25_500);
      const second = s.fetch('alice', { where: 'new' });
      await Promise.all([first, second]);
    },
  },
  {
    name: 'lease: the re-call after invalid_client is made only under a lease that covers it',
    env: { TOKEN_VAULT_REFRESH_LEASE_SECONDS: '10' },
    async run(s) {
      await s.connect('alice');
      // A container with the client secret cached (it refreshed once)...
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      const warm = await s.fetch('alice', { where: 'new' });
      // ...when an operator rotates it: the provider refuses the cached one (after a slow answer).
      s.world.provider.clientSecret = 'sim-secret-rotated';
      s.world.secrets.put('arn:aws:secretsmanager:us-east-1:000000000000:secret:sim-default', 'sim-secret-rotated');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults
        .add({ service: 'Provider', operation: 'token' }, slow(4_900), { times: 3 })
        .add({ service: 'SecretsManager' }, slow(600));
      const first = s.fetch('alice', { where: warm.container });
      await s.sleep(10_100);
      const second = s.fetch('alice', { where: 'new' });
      await Promise.all([first, second]);
    },
  },
  {
    name: 'revocation: a refresh that fails after a concurrent revoke serves nothing',
    async run(s) {
      await s.connect('alice');
      // Due (inside the margin) but still valid: the failed refresh could fall back to the stored token.
      s.age('alice', { issuedAgoMs: 3_400_000, validForMs: 200_000 });
      // Every attempt fails (the first after a second), so the refresh ends in its failure path.
      s.faults.add({ service: 'Provider', operation: 'token' }, http(503, 1_000), { times: 3 });
      const fetch = s.fetch('alice');
      await s.sleep(300);
      const revoke = await s.revoke('alice');
      if (!ok(revoke)) s.fail(`revoke answered ${JSON.stringify(revoke.answer)}`);
      await fetch;
    },
  },
  {
    name: 'revocation: a refresh whose write conflicts with a revoke, and whose re-read fails, serves nothing',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      // The provider rotates at once; the write of the new tokens is slow, and lands after the revoke.
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, slow(1_000), { after: 1 });
      // After the conflicting write, reading the item fails (throttled) on every attempt.
      s.faults.add(
        { service: 'DynamoDB', operation: 'Get', container: 'token-fetch' },
        awsError('ProvisionedThroughputExceededException'),
        { after: 1, times: 30 },
      );
      const fetch = s.fetch('alice');
      await s.sleep(300);
      await s.revoke('alice');
      await fetch;
    },
  },
  {
    name: "sweep: a slow provider and a backlog never push a refresh past the sweep's timeout",
    async run(s) {
      for (let i = 0; i < 200; i++) await s.connect(`user${i}`);
      for (let i = 0; i < 200; i++) s.age(`user${i}`, { issuedAgoMs: 3_500_000, validForMs: 100_000 });
      s.faults.add({ service: 'Provider', operation: 'token' }, slow(4_900), { times: 1000 });
      const sweep = await s.sweep();
      if (!ok(sweep)) s.fail(`sweep answered ${JSON.stringify(sweep.answer)}`);
      // What this sweep left is refreshed by the next ones, never by a refresh cut off mid-way.
      await s.sweep();
      await s.sweep();
      for (let i = 0; i < 200; i++) {
        const inv = await s.fetch(`user${i}`, { minValiditySeconds: 0 });
        if (!ok(inv)) s.fail(`user${i} answered ${JSON.stringify(inv.answer)} after the sweeps`);
      }
    },
  },
  {
    name: 'revocation: invalid_client from the revocation endpoint is not a confirmation; the secret is re-read',
    provider: { revocationScope: 'token' },
    async run(s) {
      await s.connect('alice');
      await s.connect('bob');
      // A revoke container that has the client secret cached...
      const first = await s.revoke('bob', { where: 'new' });
      // ...when an operator rotates it (at the provider and in Secrets Manager).
      s.world.provider.clientSecret = 'sim-secret-rotated';
      s.world.secrets.put('arn:aws:secretsmanager:us-east-1:000000000000:secret:sim-default', 'sim-secret-rotated');
      const revoke = await s.revoke('alice', { where: first.container });
      if (!ok(revoke)) s.fail(`revoke answered ${JSON.stringify(revoke.answer)}`);
      const alices = s.world.provider.grants.filter((g) => g.userId === 'alice' && !g.ended);
      if (alices.length > 0) s.fail("alice's grant is still live at the provider after revoke answered");
    },
  },
  {
    name: 'revocation: an OAuth error from the revocation endpoint leaves it pending, and the sweep finishes it',
    provider: { revocationScope: 'token' },
    async run(s) {
      await s.connect('alice');
      s.faults.add(
        { service: 'Provider', operation: 'revoke' },
        { kind: 'error', name: 'http', status: 400, latencyMs: 20 },
      );
      await s.revoke('alice');
      await s.sleep(60_000);
      await s.sweep();
      if (s.world.provider.grants.some((g) => !g.ended))
        s.fail('the grant is still live at the provider after the sweep');
    },
  },
  {
    name: 'revocation: pending provider revocations are retried by the sweep',
    async run(s) {
      await s.connect('alice');
      s.faults.add({ service: 'Provider', operation: 'revoke' }, http(503));
      await s.revoke('alice');
      await s.sleep(60_000);
      await s.sweep();
      if (s.world.provider.grants.some((g) => !g.ended))
        s.fail('the grant is still live at the provider after the sweep');
    },
  },
  {
    name: 'revocation: a reconnect never erases a pending revocation',
    async run(s) {
      await s.connect('alice');
      s.faults.add({ service: 'Provider', operation: 'revoke' }, http(503));
      await s.revoke('alice');
      await s.connect('alice');
      await s.sleep(60_000);
      await s.sweep();
      const first = s.world.provider.grants[0]!;
      if (!first.ended)
        s.fail("the revoked connection's grant is still live at the provider after a reconnect and a sweep");
    },
  },
  {
    name: 'revocation: a revoke racing a rotation revokes the new refresh token too',
    provider: { revocationScope: 'token' },
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, slow(1_500), { after: 1 });
      const fetch = s.fetch('alice');
      await s.sleep(300);
      await s.revoke('alice');
      await fetch;
      await s.sleep(60_000);
      await s.sweep();
      const live = s.world.provider.grants.filter((g) => !g.ended);
      if (live.length > 0)
        s.fail(
          `a refresh token rotated during the revoke is still live at the provider (${live.map((g) => g.current).join(', ')})`,
        );
    },
  },
  {
    name: 'revocation: a flow started before a revoke cannot complete after it',
    async run(s) {
      await s.connect('alice');
      const flow = s.connect('alice', { callbackDelayMs: 2_000 });
      await s.sleep(500);
      const revoke = await s.revoke('alice', { reason: 'account_deactivated' });
      if (!ok(revoke)) s.fail(`revoke answered ${JSON.stringify(revoke.answer)}`);
      const callback = await flow;
      if ((callback.answer as { status?: string } | undefined)?.status === 'connected')
        s.fail('the older flow connected after the revoke');
      const fetch = await s.fetch('alice');
      if (ok(fetch)) s.fail('a token was served after the revoke');
    },
  },
  {
    name: 'minValiditySeconds: the half-life floor does not serve less validity than asked',
    async run(s) {
      await s.connect('alice');
      // A 1-hour token, 20 minutes old: 40 minutes left, 45 asked. (The old rule refreshed at half-life, 30 min.)
      s.age('alice', { issuedAgoMs: 20 * 60_000, validForMs: 40 * 60_000 });
      await s.fetch('alice', { minValiditySeconds: 45 * 60 });
    },
  },
  {
    name: 'minValiditySeconds: the outage fallback does not serve less validity than asked',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: 100_000 });
      s.faults.add({ service: 'Provider', operation: 'token' }, http(503), { times: 3 });
      const inv = await s.fetch('alice', { minValiditySeconds: 300 });
      if (ok(inv)) s.fail('a token with 100 s left answered a request for 300 s');
    },
  },
  {
    name: 'lease: a lost answer to the lease acquisition does not leave the caller waiting behind its own lease',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, lost());
      const inv = await s.fetch('alice');
      if (!ok(inv)) s.fail(`answered ${JSON.stringify(inv.answer)} after its own lease acquisition's answer was lost`);
    },
  },
  {
    name: 'forced refresh without a refresh token keeps a still-valid access token',
    provider: { variant: 'no_refresh_token' },
    async run(s) {
      await s.connect('alice');
      const first = await s.fetch('alice', { minValiditySeconds: 0 });
      await s.refresh('alice', { ...(token(first) ? { rejectedAccessToken: token(first)! } : {}) });
      const again = await s.fetch('alice', { minValiditySeconds: 0 });
      if (!ok(again)) s.fail(`the still-valid token is gone after a forced refresh: ${JSON.stringify(again.answer)}`);
    },
  },
  {
    name: 'a coalesced caller is never answered with the token it reported as rejected',
    async run(s) {
      await s.connect('alice');
      s.world.shareNextContainer = true;
      const first = await s.fetch('alice', { minValiditySeconds: 0, where: 'new' });
      const shared = first.container;
      // Caller 1 in the shared container rejects the first token; its lease acquisition is slow.
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: shared }, slow(800));
      const caller1 = s.refresh('alice', { rejectedAccessToken: token(first)!, where: shared });
      await s.sleep(50);
      // Another container refreshes meanwhile.
      const other = await s.refresh('alice', { rejectedAccessToken: token(first)!, where: 'new' });
      // Caller 2, in the shared container, rejects the token the other container just got.
      const caller2 = await s.refresh('alice', {
        ...(token(other) ? { rejectedAccessToken: token(other)! } : {}),
        where: shared,
      });
      await caller1;
      if (token(caller2) !== undefined && token(caller2) === token(other))
        s.fail('caller 2 got back the token it rejected');
    },
    env: { TOKEN_VAULT_FORCED_REFRESH_MIN_INTERVAL_SECONDS: '0' },
  },
  {
    name: 'a reconnect during a refresh is not a failed write',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults.add({ service: 'Provider', operation: 'token', container: 'token-fetch' }, slow(1_500));
      const fetch = s.fetch('alice');
      await s.sleep(100);
      await s.connect('alice', { callbackDelayMs: 10 });
      await fetch;
      if (s.world.metricEvents.some((m) => m.metric === 'WRITE_AFTER_REFRESH_FAILED'))
        s.fail('WriteAfterRefreshFailed counted for a reconnect');
    },
  },
  {
    name: 'an API that rejects every token does not cost a provider refresh per call',
    async run(s) {
      await s.connect('alice');
      let current = token(await s.fetch('alice', { minValiditySeconds: 0 }));
      for (let i = 0; i < 5; i++) {
        const inv = await s.refresh('alice', { ...(current ? { rejectedAccessToken: current } : {}) });
        current = token(inv) ?? current;
        await s.sleep(1_000);
      }
      if (s.world.provider.refreshRequests > 1)
        s.fail(`${s.world.provider.refreshRequests} provider refreshes for 5 rejections within 5 s`);
    },
  },
  {
    name: 'a reconnect whose answer has no refresh token keeps the live one',
    provider: { refreshTokenOnFirstConsentOnly: true },
    async run(s) {
      await s.connect('alice');
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      const inv = await s.fetch('alice');
      if (!ok(inv)) s.fail(`after a re-consent without a refresh token: ${JSON.stringify(inv.answer)}`);
    },
  },
  {
    name: 'a reconnect that keeps the live refresh token never keeps one a refresh is rotating',
    provider: { refreshTokenOnFirstConsentOnly: true },
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults.add({ service: 'Provider', operation: 'token', container: 'token-fetch' }, slow(1_000));
      const fetch = s.fetch('alice');
      await s.sleep(300);
      // The user re-consents while the refresh is at the provider; the answer has no refresh token.
      await s.connect('alice', { callbackDelayMs: 10 });
      await fetch;
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      const later = await s.fetch('alice');
      if (!ok(later)) s.fail(`the next refresh failed: ${JSON.stringify(later.answer)}`);
    },
  },
];

/** Runs one scenario against a core. */
export async function runScenario(scenario: Scenario, adapter: CoreAdapter): Promise<ScenarioResult> {
  let faults: ScriptedFaults | undefined;
  const world = new World(
    {
      seed: 1,
      provider: { variant: 'strict', graceMs: 30_000, accessTokenTtlSeconds: 3600, ...scenario.provider },
      faults: () => (faults = new ScriptedFaults(new QuietNetwork(5))),
      maxContainersPerFunction: 50,
      sharedContainerChance: 0,
      trace: true,
      // Scripted timings assume one clock.
      clockSkew: false,
    },
    { ...adapter, env: { ...adapter.env, ...scenario.env } },
  );
  const invariants = new Invariants(world);
  const failures: string[] = [];
  const script: Script = {
    world,
    faults: faults!,
    async connect(userId, options = {}) {
      const started = world.now;
      const connect = await world.invoke('connect', 'connect', { userId, returnTo: SIM_RETURN_TO }, options.where);
      const answer = connect.answer as SimAnswer | undefined;
      if (answer?.ok !== true) throw new Error(`connect failed: ${JSON.stringify(answer)}`);
      const url = new URL(String(answer.authorizationUrl));
      const state = url.searchParams.get('state') ?? '';
      const code = world.provider.authorize(userId, url.searchParams.get('code_challenge') ?? '');
      world.flows.set(code, { userId, startedAt: started, state });
      await world.scheduler.sleep(options.callbackDelayMs ?? 20);
      return world.invoke('callback', 'callback', { code, state });
    },
    fetch: (userId, o = {}) =>
      world.invoke(
        'token-fetch',
        'token-fetch',
        { userId, ...(o.minValiditySeconds === undefined ? {} : { minValiditySeconds: o.minValiditySeconds }) },
        o.where,
      ),
    refresh: (userId, o = {}) =>
      world.invoke(
        'refresh',
        'refresh',
        { userId, ...(o.rejectedAccessToken === undefined ? {} : { rejectedAccessToken: o.rejectedAccessToken }) },
        o.where,
      ),
    revoke: (userId, o = {}) =>
      world.invoke('revoke', 'revoke', { userId, reason: o.reason ?? 'user_disconnected' }, o.where),
    sweep: (where) => world.invoke('refresh', 'sweep', { sweep: true }, where),
    sleep: (ms) => world.scheduler.sleep(ms),
    age(userId, times) {
      const now = world.now;
      const issuedAt = now - times.issuedAgoMs;
      const expiresAt = now + times.validForMs;
      world.ddb.apply(
        new UpdateCommand({
          TableName: world.tables.connections,
          Key: { userId, applicationId: SIM_APP },
          UpdateExpression: 'SET accessTokenIssuedAt = :i, accessTokenExpiresAt = :e, refreshDueAt = :d',
          ConditionExpression: 'attribute_exists(userId)',
          // Due in the sweep's index as the vault computes it: 5 minutes before expiry, never before half-life.
          ExpressionAttributeValues: {
            ':i': issuedAt,
            ':e': expiresAt,
            ':d': Math.max(issuedAt + Math.floor((expiresAt - issuedAt) / 2), expiresAt - 300_000),
          },
        }),
      );
      world.log(`(test) ${userId}'s token now issued ${times.issuedAgoMs} ms ago, valid ${times.validForMs} ms more`);
    },
    fail: (message) => void failures.push(message),
  };
  let scriptError: unknown;
  const done = scenario.run(script).catch((error: unknown) => {
    scriptError = error;
  });
  let finished = false;
  void done.then(() => (finished = true));
  await world.scheduler.run({
    until: world.now + 30 * 60_000,
    maxSteps: 500_000,
    afterEach: () => invariants.check(),
    stop: () => finished,
  });
  // Let what the script left running finish (answers, sweeps), then check once more.
  await world.scheduler.run({ until: world.now + 5 * 60_000, maxSteps: 500_000, afterEach: () => invariants.check() });
  invariants.check();
  if (scriptError !== undefined)
    failures.push(`script failed: ${scriptError instanceof Error ? scriptError.message : JSON.stringify(scriptError)}`);
  else if (!finished) failures.push('script did not finish');
  return { violations: world.violations, failures, trace: world.trace };
}
