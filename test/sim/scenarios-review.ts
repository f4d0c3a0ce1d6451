/**
 * The scenarios of an adversarial review of the refresh core's promises, in the shape of scenarios.ts: each places
 * faults and races exactly and, besides the simulation's invariants, checks its own expectations, which cover
 * what the invariants do not see (provider-side revocation, liveness of the stored refresh token, access tokens of
 * ended grants). Every one failed against the core as it was before the review's fixes; `npm run simulate --
 * --scenarios` runs them with the others.
 */
import { createDecipheriv } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ENCRYPTION_CONTEXT_KEYS } from '@token-vault/cdk/src/definitions/encryption';
import type { Fault } from './network';
import type { Grant, ProviderAnswer, ProviderRequest } from './provider-model';
import type { Scenario, Script } from './scenarios';
import { SIM_APP, type Invocation, type SimAnswer } from './world';

const ok = (inv: Invocation): boolean => (inv.answer as SimAnswer | undefined)?.ok === true;
const code = (inv: Invocation): string | undefined =>
  ((inv.answer as SimAnswer | undefined)?.error as { code?: string } | undefined)?.code;
const token = (inv: Invocation): string | undefined =>
  (inv.answer as SimAnswer | undefined)?.accessToken as string | undefined;
const show = (inv: Invocation): string => (inv.crashed ? `(crashed: ${inv.crashed})` : JSON.stringify(inv.answer));
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
const THROTTLED = 'ProvisionedThroughputExceededException';

/** A failed expectation, also marked in the trace (the runner prints the trace around it). */
function expect(s: Script, message: string): void {
  s.world.log(`EXPECTATION FAILED ${message}`);
  s.fail(message);
}

/** revoke with an explicit applicationId (the scripted `revoke` sends none, which takes the `'*'` path). */
function revokeApp(s: Script, userId: string, where?: string): Promise<Invocation> {
  return s.world.invoke('revoke', 'revoke', { userId, applicationId: SIM_APP, reason: 'user_disconnected' }, where);
}

/** The container of the invocation just started (invoke() registers it synchronously). */
function lastContainer(s: Script): string {
  return s.world.invocations.at(-1)!.container;
}

/** Opens a sealed field of a stored item with the KMS model's own view (the invariant checker's method). */
function openStored(
  s: Script,
  item: Record<string, unknown>,
  field: 'accessToken' | 'refreshToken',
): string | undefined {
  const { encryptedDataKey } = item;
  const sealed = item[field];
  if (!(encryptedDataKey instanceof Uint8Array) || !(sealed instanceof Uint8Array)) return undefined;
  const userId = String(item.userId);
  const applicationId = String(item.applicationId);
  try {
    const key = s.world.kms.unwrap(encryptedDataKey, {
      [ENCRYPTION_CONTEXT_KEYS.USER_ID]: userId,
      [ENCRYPTION_CONTEXT_KEYS.APPLICATION_ID]: applicationId,
    });
    const data = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(1, 13), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(JSON.stringify(['token-vault/v1', userId, applicationId, field]), 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(13, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The stored connection item of a user (default application). */
function stored(s: Script, userId: string): Record<string, unknown> | undefined {
  return s.world.ddb.get(s.world.tables.connections, { userId, applicationId: SIM_APP });
}

/**
 * The end-state check the invariants lack: an active connection's refresh token must be usable at the provider
 * (its grant not ended, and, with strict rotation, the grant's current token: anything else is a time bomb that
 * goes off at the next refresh).
 */
function expectLiveRefreshToken(s: Script, userId: string, when: string): void {
  const item = stored(s, userId);
  if (item?.status !== 'active') return;
  const refreshToken = openStored(s, item, 'refreshToken');
  if (refreshToken === undefined)
    return expect(s, `${when}: ${userId}'s active connection holds no decryptable refresh token`);
  const grant = s.world.provider.grantOfRefreshToken(refreshToken);
  if (!grant) return expect(s, `${when}: ${userId}'s stored refresh token ${refreshToken} is unknown to the provider`);
  if (grant.ended)
    return expect(
      s,
      `${when}: ${userId}'s active connection holds ${refreshToken} of grant ${grant.id}, ended by ${grant.ended.cause}`,
    );
  if (s.world.provider.settings.variant === 'strict' && grant.current !== refreshToken) {
    expect(
      s,
      `${when}: ${userId}'s active connection holds ${refreshToken}, already rotated to ${grant.current} (its next refresh triggers reuse detection)`,
    );
  }
}

function liveGrants(s: Script, userId: string): Grant[] {
  return s.world.provider.grants.filter((g) => g.userId === userId && !g.ended);
}

/** Wraps the provider's request handler (a provider quirk), for the requests `when` selects. */
function quirk(
  s: Script,
  change: (request: ProviderRequest, answer: ProviderAnswer) => ProviderAnswer | undefined,
): void {
  const provider = s.world.provider;
  const original = provider.handle.bind(provider);
  provider.handle = (request: ProviderRequest): ProviderAnswer => {
    const answer = original(request);
    return change(request, answer) ?? answer;
  };
}

const ALL_REVIEW_SCENARIOS: readonly Scenario[] = [
  // ---------------------------------------------------------------------------------------------------------
  // Promise 2: nothing is served after revoke has answered; revoke ends pending flows.
  // ---------------------------------------------------------------------------------------------------------
  {
    name: 'P2-A revoke(applicationId) of a user without a live connection: a callback saved between its read and its endFlows survives the revoke',
    async run(s) {
      // A flow is started; the user consents; the callback runs ~100 ms later.
      const flow = s.connect('alice', { callbackDelayMs: 100 });
      // The revoke's endFlows write is slow (600 ms, under the SDK's per-attempt timeout).
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'revoke' }, slow(600));
      await s.sleep(100);
      const revoke = await revokeApp(s, 'alice');
      const callback = await flow;
      s.world.log(`(test) callback answered ${show(callback)}; revoke answered ${show(revoke)}`);
      const fetch = await s.fetch('alice');
      if (ok(revoke) && ok(fetch))
        expect(s, `a token of a flow started before revoke #${revoke.id} was served after it answered ok`);
      if (ok(revoke) && stored(s, 'alice')?.status === 'active')
        expect(s, 'the connection made by a flow started before the revoke is active after the revoke answered');
    },
  },
  {
    name: "P2-A' same race after an earlier revoke (status revoked): the reconnect from an older flow survives the second revoke",
    async run(s) {
      await s.connect('alice');
      await s.revoke('alice');
      // Past the flows marker's clock-skew room of that first revoke.
      await s.sleep(1_200);
      const flow = s.connect('alice', { callbackDelayMs: 1_600 });
      await s.sleep(1_500);
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'revoke' }, slow(600));
      const revoke = await revokeApp(s, 'alice');
      await flow;
      const fetch = await s.fetch('alice');
      if (ok(revoke) && ok(fetch))
        expect(s, 'a token of a flow started before the second revoke was served after it answered ok');
    },
  },
  {
    name: 'P2-B revoke after a reconnect leaves the replaced grant live at the provider (the reconnect never revoked it)',
    async run(s) {
      await s.connect('alice');
      await s.connect('alice');
      const revoke = await s.revoke('alice');
      if (!ok(revoke)) expect(s, `revoke answered ${show(revoke)}`);
      await s.sleep(60_000);
      await s.sweep();
      const live = liveGrants(s, 'alice');
      if (live.length > 0)
        expect(
          s,
          `after revoke + sweep, alice still has live grant(s) at the provider: ${live.map((g) => `#${g.id} (${g.current})`).join(', ')}`,
        );
    },
  },
  {
    name: 'P2-C token-scoped revocation: a revoke racing a rotation, then a reconnect before the refresher re-reads, orphans the rotated successor',
    provider: { revocationScope: 'token' },
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      // After the lease (first Update), the commit of the rotated tokens is throttled for ~2.5 s.
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, awsError(THROTTLED, 500), {
        after: 1,
        times: 4,
      });
      const fetch = s.fetch('alice');
      await s.sleep(300);
      const revoke = await s.revoke('alice');
      if (!ok(revoke)) expect(s, `revoke answered ${show(revoke)}`);
      // A new flow, started after the revoke (and after the flows marker's clock-skew room).
      await s.sleep(1_100);
      await s.connect('alice', { callbackDelayMs: 10 });
      await fetch;
      await s.sleep(60_000);
      await s.sweep();
      const first = s.world.provider.grants[0]!;
      if (!first.ended)
        expect(
          s,
          `the grant revoked by #${revoke.id} is still live at the provider through its rotated successor ${first.current}`,
        );
    },
  },
  {
    name: 'P2-D token-scoped revocation: a revoke racing a rotation whose re-read fails leaves the successor live (never revoked, never recorded)',
    provider: { revocationScope: 'token' },
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, slow(1_000), { after: 1 });
      s.faults.add({ service: 'DynamoDB', operation: 'Get', container: 'token-fetch' }, awsError(THROTTLED), {
        after: 1,
        times: 30,
      });
      const fetch = s.fetch('alice');
      await s.sleep(300);
      const revoke = await s.revoke('alice');
      await fetch;
      await s.sleep(60_000);
      await s.sweep();
      const live = liveGrants(s, 'alice');
      if (ok(revoke) && live.length > 0)
        expect(
          s,
          `after revoke + sweep, the rotated successor ${live.map((g) => g.current).join(', ')} is still live at the provider`,
        );
    },
  },

  // ---------------------------------------------------------------------------------------------------------
  // Promise 1: never log a user out (through the callback's paths).
  // ---------------------------------------------------------------------------------------------------------
  {
    name: 'P1-A callback whose save landed but whose answer was lost (then throttled) revokes the refresh token the vault stores',
    async run(s) {
      // The callback's transaction is applied but its answer lost; the SDK's two retries are throttled.
      s.faults.add({ service: 'DynamoDB', operation: 'TransactWrite', container: 'callback' }, lost(5));
      s.faults.add(
        { service: 'DynamoDB', operation: 'TransactWrite', container: 'callback' },
        awsError(THROTTLED, 300),
        { times: 2 },
      );
      const callback = await s.connect('alice');
      s.world.log(`(test) callback answered ${show(callback)}; stored status ${String(stored(s, 'alice')?.status)}`);
      expectLiveRefreshToken(s, 'alice', 'after the callback');
      const first = await s.fetch('alice', { minValiditySeconds: 0 });
      if (ok(first))
        s.world.log(`(test) the connection serves ${token(first)} although the callback answered ${show(callback)}`);
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      const later = await s.fetch('alice');
      if (code(later) === 'reauthorization_required')
        expect(s, 'the user must re-authorize: the vault itself revoked the refresh token it kept');
    },
  },
  {
    name: "P1-B callback retry meeting its own write (no idempotency in the model) overwrites a refresh's rotation with the used refresh token",
    env: { TOKEN_VAULT_FORCED_REFRESH_MIN_INTERVAL_SECONDS: '0' },
    async run(s) {
      s.faults.add({ service: 'DynamoDB', operation: 'TransactWrite', container: 'callback' }, lost(5));
      const flow = s.connect('alice');
      // The save is applied at ~55 ms; its SDK retry comes after the 666 ms attempt timeout. Meanwhile a refresh.
      await s.sleep(100);
      const refresh = await s.refresh('alice');
      s.world.log(`(test) refresh answered ${show(refresh)}`);
      await flow;
      expectLiveRefreshToken(s, 'alice', 'after the callback and the refresh');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      const later = await s.fetch('alice');
      if (!ok(later)) expect(s, `the next refresh failed: ${show(later)}`);
    },
  },
  {
    name: 'P1-D a ~1 s DynamoDB throttling burst on the commit loses the successor although the lease had 23 s left; the takeover triggers reuse detection',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      // After the lease acquisition, the next 9 UpdateItem attempts of token-fetch are throttled (3 commit
      // attempts x 3 SDK attempts, ~1-2 s in all); DynamoDB is healthy again right after.
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, awsError(THROTTLED, 5), {
        after: 1,
        times: 9,
      });
      const first = await s.fetch('alice', { where: 'new' });
      const gaveUp = first.answeredAt! - first.startedAt;
      const leaseLeft = Number(stored(s, 'alice')?.leaseExpiresAt) - s.world.now;
      s.world.log(
        `(test) the refresh gave up after ${gaveUp} ms with ${leaseLeft} ms of its lease left: ${show(first)}`,
      );
      await s.sleep(leaseLeft + 100);
      const later = await s.fetch('alice', { where: 'new' });
      if (code(later) === 'reauthorization_required') {
        expect(
          s,
          `logged out by reuse detection after a ${gaveUp} ms write failure; the refresher stopped retrying with ${leaseLeft} ms of lease left (README: "retried ... while the lease lasts")`,
        );
      }
    },
  },
  // ---------------------------------------------------------------------------------------------------------
  // Promise 3: every call answers within its function's time (the in-container single flight).
  // ---------------------------------------------------------------------------------------------------------
  {
    name: "P3-A shared container: an older caller joins a younger caller's single flight and is killed at its own timeout",
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      // C takes the lease (25 s) and dies at the provider: the lease stays until it expires.
      const c = s.fetch('alice', { where: 'new' });
      const cContainer = lastContainer(s);
      s.faults.add({ service: 'Provider', operation: 'token', container: cContainer }, stall);
      await s.sleep(1_000);
      const leaseEnds = Number(stored(s, 'alice')?.leaseExpiresAt);
      s.world.crash(cContainer);
      await c;
      // A: a shared container (the local stack's process, the caller library); A waits behind the dead lease.
      await s.sleep(16_000);
      s.world.shareNextContainer = true;
      const a = s.fetch('alice', { where: 'new' });
      const shared = lastContainer(s);
      // B, in the same container, arrives 1 ms after the lease ran out, before A's next poll. Its acquisition is
      // slow (600 ms), so A's next poll still finds no live lease and joins B's flight, which runs on B's later
      // deadline: a 429 with Retry-After 10 s and a slow retry fit B's time, not A's.
      await s.sleep(leaseEnds + 1 - s.world.now);
      s.faults
        .add({ service: 'DynamoDB', operation: 'Update', container: shared }, slow(600))
        .add({ service: 'Provider', operation: 'token', container: shared }, http(429, 20, 10))
        .add({ service: 'Provider', operation: 'token', container: shared }, slow(4_900));
      const b = s.fetch('alice', { where: shared });
      const [ia, ib] = await Promise.all([a, b]);
      if (ia.crashed === 'timeout' || ia.answeredAt === undefined || ia.answeredAt > ia.deadline)
        expect(
          s,
          `A (#${ia.id}, started ${((ib.startedAt - ia.startedAt) / 1000).toFixed(1)} s before B) did not answer within its 20 s: ${show(ia)}`,
        );
    },
  },

  // ---------------------------------------------------------------------------------------------------------
  // Promise 1 via provider quirks; and a blind spot of the reuse invariant.
  // ---------------------------------------------------------------------------------------------------------
  {
    name: 'P1-C a rotated answer the client refuses (token_type DPoP) discards the successor; the retry after the cool-down triggers reuse detection',
    async run(s) {
      await s.connect('alice');
      let armed = true;
      quirk(s, (request, answer) => {
        if (!armed || !request.body.includes('grant_type=refresh_token') || answer.status !== 200) return undefined;
        armed = false;
        return { ...answer, body: { ...answer.body, token_type: 'DPoP' } };
      });
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      const first = await s.fetch('alice');
      s.world.log(`(test) first fetch answered ${show(first)}`);
      await s.sleep(31_000);
      const second = await s.fetch('alice');
      if (code(second) === 'reauthorization_required')
        expect(s, 'the user was logged out by reuse detection: the successor the provider sent was thrown away');
    },
  },
  {
    name: "P1-C' (invariant blind spot) the same double presentation, but the reuse answer is lost: the reuse invariant excuses it",
    async run(s) {
      await s.connect('alice');
      let armed = true;
      quirk(s, (request, answer) => {
        if (!armed || !request.body.includes('grant_type=refresh_token') || answer.status !== 200) return undefined;
        armed = false;
        return { ...answer, body: { ...answer.body, token_type: 'DPoP' } };
      });
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      await s.fetch('alice');
      await s.sleep(31_000);
      // The second presentation (of the already rotated token) reaches the provider; its answer is lost.
      s.faults.add({ service: 'Provider', operation: 'token' }, lost(20));
      await s.fetch('alice');
      const reused = s.world.provider.grants.filter((g) => g.ended?.cause === 'reuse');
      if (reused.length > 0)
        expect(
          s,
          `grant(s) ${reused.map((g) => g.id).join(', ')} ended by reuse detection (the invariant is silent: one presentation's answer was not delivered)`,
        );
    },
  },

  // ---------------------------------------------------------------------------------------------------------
  // Cost / liveness at the edges.
  // ---------------------------------------------------------------------------------------------------------
  {
    name: 'E-A an expired refresh token behind a live lease: token-fetch spins reauthorize->conflict->read with no pause',
    provider: { refreshTokenTtlSeconds: 300 },
    async run(s) {
      await s.connect('alice');
      await s.sleep(290_000);
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      // C takes the lease just before the refresh token's stated expiry and dies at the provider.
      const c = s.fetch('alice', { where: 'new' });
      const cContainer = lastContainer(s);
      s.faults.add({ service: 'Provider', operation: 'token', container: cContainer }, stall);
      await s.sleep(1_000);
      s.world.crash(cContainer);
      await c;
      await s.sleep(10_500);
      const before = s.world.wire.calls;
      const d = await s.fetch('alice', { where: 'new' });
      const calls = s.world.wire.calls - before;
      s.world.log(`(test) the fetch made ${calls} calls and answered ${show(d)}`);
      if (calls > 100)
        expect(
          s,
          `one token-fetch made ${calls} AWS calls in ${((d.answeredAt! - d.startedAt) / 1000).toFixed(1)} s (hot loop while another container's lease lives)`,
        );
    },
  },
  {
    name: "E-B tunable edge: a sweep look-ahead longer than the tokens' remaining life refreshes every connection on every sweep",
    env: { TOKEN_VAULT_SWEEP_LOOKAHEAD_SECONDS: String(24 * 60 * 60) },
    async run(s) {
      for (const user of ['alice', 'bob', 'carol']) await s.connect(user);
      const before = s.world.provider.refreshRequests;
      for (let i = 0; i < 3; i++) {
        await s.sweep();
        await s.sleep(5 * 60_000);
      }
      const made = s.world.provider.refreshRequests - before;
      if (made > 0)
        expect(
          s,
          `${made} provider refreshes by 3 sweeps over 15 min for 3 connections whose 1-hour tokens were fresh (expected 0); timingProblems accepts the setting`,
        );
    },
  },
  {
    name: "P1-C'' (invariant blind spot) a lost successor is excused by ANOTHER user's WriteAfterRefreshFailed in the same container",
    async run(s) {
      await s.connect('alice');
      await s.connect('bob');
      let armed = true;
      quirk(s, (request, answer) => {
        if (!armed || !request.body.includes('grant_type=refresh_token') || answer.status !== 200) return undefined;
        armed = false;
        return { ...answer, body: { ...answer.body, token_type: 'DPoP' } };
      });
      // alice's rotation is answered (and thrown away) in container X.
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      const x = (await s.fetch('alice', { where: 'new' })).container;
      // Later, in the same container, bob's refresh really loses its write to DynamoDB (a legitimate exemption for bob).
      s.age('bob', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults
        .add({ service: 'DynamoDB', operation: 'Update', container: x }, awsError(THROTTLED), { after: 1, times: 9 })
        .add({ service: 'DynamoDB', operation: 'Get', container: x }, awsError(THROTTLED), { after: 1, times: 3 });
      const bob = await s.fetch('bob', { where: x });
      s.world.log(`(test) bob's fetch answered ${show(bob)}`);
      await s.sleep(31_000);
      await s.fetch('alice', { where: 'new' });
      const aliceGrant = s.world.provider.grants[0]!;
      if (aliceGrant.ended?.cause === 'reuse')
        expect(
          s,
          "alice's grant ended by reuse detection; the invariant excused it with bob's write failure in the same container",
        );
    },
  },
  {
    name: 'P2-E first-consent-only provider: a reconnect while the revoke is pending at the provider yields a connection on the grant being revoked (no refresh token, revoked access token served)',
    provider: { refreshTokenOnFirstConsentOnly: true },
    async run(s) {
      await s.connect('alice');
      s.faults.add({ service: 'Provider', operation: 'revoke' }, http(503));
      const revoke = await s.revoke('alice');
      s.world.log(`(test) revoke answered ${show(revoke)}`);
      await s.sleep(1_200);
      const callback = await s.connect('alice');
      s.world.log(`(test) reconnect answered ${show(callback)}`);
      await s.sleep(60_000);
      await s.sweep();
      const fetch = await s.fetch('alice');
      const served = token(fetch);
      const grant = served === undefined ? undefined : s.world.provider.grantOfAccessToken(served)?.grant;
      if (grant?.ended)
        expect(
          s,
          `the reconnected connection served ${served}, an access token of grant ${grant.id}, ended by ${grant.ended.cause} (the invariants only check its expiry)`,
        );
      const item = stored(s, 'alice');
      if (item?.status === 'active' && item.refreshToken === undefined)
        expect(
          s,
          'the reconnected connection holds no refresh token: it ends at its first expiry although the user just consented',
        );
    },
  },
  {
    name: 'E-C minValiditySeconds near the lifetime: a write that needed retries makes the fresh token miss the cap, and the fetch refreshes (rotates) again',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      // One slow provider attempt (4.9 s, inside the 5 s timeout) and a commit throttled for ~2.5 s: > 7 s from
      // the request to the stored token (the cap assumes one provider attempt + one AWS call).
      s.faults
        .add({ service: 'Provider', operation: 'token' }, slow(4_900))
        .add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, awsError(THROTTLED, 600), {
          after: 1,
          times: 4,
        });
      const before = s.world.provider.refreshRequests;
      const fetch = await s.fetch('alice', { minValiditySeconds: 3_600 });
      const made = s.world.provider.refreshRequests - before;
      s.world.log(`(test) one fetch made ${made} provider refreshes and answered ${show(fetch)}`);
      if (made > 1)
        expect(
          s,
          `one token-fetch made ${made} provider refreshes (the committed token missed the cap by the write's retries)`,
        );
      if (!ok(fetch)) expect(s, `answered ${show(fetch)} although a token just committed has ~3592 s left`);
    },
  },
  {
    name: 'F-A forced-refresh limit: lastForcedRefreshAt survives a due refresh, so the first forced refresh after it is refused (rate_limited)',
    async run(s) {
      await s.connect('alice');
      // A caller's 401: a forced refresh (the first after the connect is always made).
      const first = token(await s.fetch('alice', { minValiditySeconds: 0 }));
      const forced = await s.refresh('alice', { ...(first ? { rejectedAccessToken: first } : {}) });
      if (!ok(forced)) expect(s, `the first forced refresh answered ${show(forced)}`);
      // 10 s later the token is due; a fetch refreshes it (a due refresh, not forced).
      await s.sleep(10_000);
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      const due = await s.fetch('alice');
      // The API rejects the token the due refresh issued: the caller's first forced refresh after a due refresh.
      const again = await s.refresh('alice', { ...(token(due) ? { rejectedAccessToken: token(due)! } : {}) });
      if (code(again) === 'rate_limited')
        expect(
          s,
          `the first forced refresh after a due refresh was refused: ${show(again)} (coordinator-options.ts CoordinatorPolicy doc: "always made")`,
        );
    },
  },
  // ---------------------------------------------------------------------------------------------------------
  // Blind spot of the network model: requests are applied and answered at the same virtual instant.
  // ---------------------------------------------------------------------------------------------------------
  {
    name: 'MODEL response latency: a deciding read applied before the revoke, whose answer arrives after the revoke answered, serves a token (unreachable in the model as written)',
    async run(s) {
      await s.connect('alice');
      // A warm container (data key cached, so no KMS call and no re-read before serving).
      const warm = (await s.fetch('alice', { where: 'new' })).container;
      // The next read is applied now but its answer takes 600 ms to come back: emulated by answering, when the
      // model applies it 600 ms later, what the item held when it was sent.
      const ddb = s.world.ddb;
      const original = ddb.apply.bind(ddb);
      const snapshot = original(
        new GetCommand({
          TableName: s.world.tables.connections,
          Key: { userId: 'alice', applicationId: SIM_APP },
          ConsistentRead: true,
        }),
      );
      let armed = true;
      ddb.apply = (command) => {
        const key = (command.input as { Key?: { userId?: unknown; applicationId?: unknown } }).Key;
        if (
          armed &&
          command.constructor.name === 'GetCommand' &&
          key?.userId === 'alice' &&
          key.applicationId === SIM_APP
        ) {
          armed = false;
          return snapshot;
        }
        return original(command);
      };
      s.faults.add({ service: 'DynamoDB', operation: 'Get', container: warm }, slow(600));
      const fetch = s.fetch('alice', { where: warm });
      await s.sleep(50);
      const revoke = await s.revoke('alice');
      const f = await fetch;
      if (ok(revoke) && ok(f))
        expect(
          s,
          `fetch #${f.id} (read linearized before revoke #${revoke.id} committed) answered a token after the revoke answered: the guarantee "answered after" cannot hold with response latency; "started after" can`,
        );
    },
  },
  // ---------------------------------------------------------------------------------------------------------
  // Attacks that held (expected to pass): kept as regression checks.
  // ---------------------------------------------------------------------------------------------------------
  {
    name: 'HELD-A a lease acquisition applied late (after the SDK gave up on it) never yields two holders or two presentations',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      // Attempt 1 of the acquisition is applied after 900 ms (past the 666 ms attempt timeout); attempt 2 wins first.
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, slow(900));
      const a = s.fetch('alice', { where: 'new' });
      await s.sleep(20);
      const b = s.fetch('alice', { where: 'new' });
      const [ia, ib] = await Promise.all([a, b]);
      if (!ok(ia) || !ok(ib)) expect(s, `answers ${show(ia)} / ${show(ib)}`);
      if (s.world.provider.refreshRequests !== 1) expect(s, `${s.world.provider.refreshRequests} provider refreshes`);
    },
  },
  {
    name: 'HELD-B revoke without applicationId ends flows before listing: a callback landing mid-revoke is refused or revoked',
    async run(s) {
      const flow = s.connect('alice', { callbackDelayMs: 100 });
      s.faults.add({ service: 'DynamoDB', operation: 'Query', container: 'revoke' }, slow(600));
      await s.sleep(100);
      const revoke = await s.revoke('alice');
      await flow;
      const fetch = await s.fetch('alice');
      if (ok(revoke) && ok(fetch)) expect(s, 'served after the revoke');
    },
  },
  {
    name: 'HELD-C a lease extension whose answer is lost stops the refresh before any provider attempt',
    env: { TOKEN_VAULT_REFRESH_LEASE_SECONDS: '10' },
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      // The first attempt is refused with 429 / Retry-After 3 s, after which the 10 s lease no longer covers an
      // attempt: extend. Every answer to the extension is lost (applied), so the holder cannot know it holds it.
      s.faults
        .add({ service: 'Provider', operation: 'token', container: 'token-fetch' }, http(429, 20, 3))
        .add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, lost(5), { after: 1, times: 3 });
      const first = await s.fetch('alice', { where: 'new' });
      s.world.log(
        `(test) first answered ${show(first)}; provider refresh requests ${s.world.provider.refreshRequests}`,
      );
      if (s.world.provider.refreshRequests > 1)
        expect(s, 'a provider attempt was made without a lease known to cover it');
      await s.sleep(11_000);
      const second = await s.fetch('alice', { where: 'new' });
      if (!ok(second)) expect(s, `second answered ${show(second)}`);
    },
  },
  {
    name: 'HELD-D a commit whose answer is lost is recognised as ours when the SDK retry meets it',
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults.add({ service: 'DynamoDB', operation: 'Update', container: 'token-fetch' }, lost(5), { after: 1 });
      const first = await s.fetch('alice');
      if (!ok(first)) expect(s, `answered ${show(first)}`);
      expectLiveRefreshToken(s, 'alice', 'after the lost commit answer');
    },
  },
  {
    name: 'HELD-E first-consent-only reconnect waiting behind a refresh is refused by a revoke that lands meanwhile',
    provider: { refreshTokenOnFirstConsentOnly: true },
    async run(s) {
      await s.connect('alice');
      s.age('alice', { issuedAgoMs: 3_500_000, validForMs: -1000 });
      s.faults.add({ service: 'Provider', operation: 'token', container: 'token-fetch' }, slow(3_000));
      const fetch = s.fetch('alice');
      await s.sleep(100);
      const flow = s.connect('alice', { callbackDelayMs: 10 });
      await s.sleep(500);
      const revoke = await s.revoke('alice');
      const callback = await flow;
      await fetch;
      const after = await s.fetch('alice');
      if (ok(revoke) && ok(after)) expect(s, `served after the revoke (callback: ${show(callback)})`);
    },
  },
];

/**
 * The review's scenarios that must hold. The one named MODEL shows the remaining gap the contract documents (a
 * deciding read that reached the table before a revoke, answered after it) and stays out of the suite.
 */
export const REVIEW_SCENARIOS: readonly Scenario[] = ALL_REVIEW_SCENARIOS.filter((s) => !s.name.startsWith('MODEL'));

/** The documented gap, runnable: `npm run simulate -- --scenarios --documented-gaps`. */
export const DOCUMENTED_GAPS: readonly Scenario[] = ALL_REVIEW_SCENARIOS.filter((s) => s.name.startsWith('MODEL'));
