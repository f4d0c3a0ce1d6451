/**
 * Regression scenarios from an adversarial review of lifecycle events and session binding; each failed against
 * the core before its fix:
 * - an event put between the deciding write and the answer (a slow PutEvents) let a token be served, or a flow be
 *   answered `connected`, after a revoke had answered: the answer now waits for a consistent read after the put;
 * - a parked flow's grant was revoked where the provider keeps one grant per user (Google), ending the user's live
 *   connection: such a grant is now only discarded.
 * The invariants (test/sim/invariants.ts) judge "served after revoke" and "flow completed after revoke"; the
 * binding scenarios fail by hand when the live connection is logged out.
 */
import type { Fault } from './network';
import type { Scenario, Script } from './scenarios';
import type { Invocation, SimAnswer } from './world';

const ok = (inv: Invocation): boolean => (inv.answer as SimAnswer | undefined)?.ok === true;
const code = (inv: Invocation): string | undefined =>
  ((inv.answer as SimAnswer | undefined)?.error as { code?: string } | undefined)?.code;
const http = (status: number, latencyMs = 20): Fault => ({ kind: 'error', name: 'http', status, latencyMs });
/** Every event put takes 2 s of simulated time. */
const SLOW_EVENTS = { SIM_EVENT_DELAY_MS: '2000' };

const failedRefreshEvent: Scenario[] = [3_000, 6_000, 9_000].map((revokeAt) => ({
  name: `EVT-A a failed refresh's Refresh Failed put is slow; a revoke at +${revokeAt} ms answers during it; the fallback token is not served after`,
  env: SLOW_EVENTS,
  async run(s) {
    await s.connect('alice');
    // A first fetch marks the token used (so the fallback's serve makes no mark write).
    if (!ok(await s.fetch('alice'))) s.fail('first fetch failed');
    // Due (inside the margin) but still valid: the failed refresh falls back to the stored token.
    s.age('alice', { issuedAgoMs: 3_400_000, validForMs: 200_000 });
    s.faults.add({ service: 'Provider', operation: 'token' }, http(503, 500), { times: 3 });
    const fetch = s.fetch('alice');
    await s.sleep(revokeAt);
    await s.revoke('alice');
    await fetch;
  },
}));

const recoveredEvent: Scenario[] = [300, 900, 1_500].map((revokeAt) => ({
  name: `EVT-B a refresh that ends a failure streak puts Recovered slowly; a revoke at +${revokeAt} ms answers during it; the new token is not served after`,
  env: SLOW_EVENTS,
  async run(s) {
    await s.connect('alice');
    await s.fetch('alice');
    s.age('alice', { issuedAgoMs: 3_400_000, validForMs: 200_000 });
    s.faults.add({ service: 'Provider', operation: 'token' }, http(503, 100), { times: 3 });
    await s.fetch('alice');
    await s.sleep(31_000);
    // Expired now: the fetch refreshes, the commit ends the streak, and its Recovered event is put.
    s.age('alice', { issuedAgoMs: 3_700_000, validForMs: -1000 });
    const fetch = s.fetch('alice');
    await s.sleep(revokeAt);
    await s.revoke('alice');
    await fetch;
  },
}));

const connectedEvent: Scenario[] = [100, 600, 1_200].map((revokeAt) => ({
  name: `EVT-C the callback's Connection Connected put is slow; a revoke at +${revokeAt} ms answers during it; the flow is not answered connected after`,
  env: SLOW_EVENTS,
  async run(s) {
    const callback = flow(s, 'alice');
    await s.sleep(20 + revokeAt);
    await s.revoke('alice');
    await callback;
  },
}));

/** connect as vault user `userId`; the provider consent is given by provider account `consenter`; the callback. */
async function flow(s: Script, userId: string, consenter = userId): Promise<Invocation> {
  const started = s.world.now;
  const connect = await s.world.invoke('connect', 'connect', { userId, returnTo: 'https://app.example.test/done' });
  const url = new URL(String((connect.answer as SimAnswer).authorizationUrl));
  const state = url.searchParams.get('state') ?? '';
  const authorizationCode = s.world.provider.authorize(consenter, url.searchParams.get('code_challenge') ?? '');
  s.world.flows.set(authorizationCode, { userId, startedAt: started, state });
  await s.sleep(20);
  return s.world.invoke('callback', 'callback', { code: authorizationCode, state });
}
const handleOf = (inv: Invocation): string => String((inv.answer as { flowHandle?: string }).flowHandle);
/** Google with prompt=consent: one grant per user and client, every consent adds a refresh token to it. */
const SHARED_GRANT = { variant: 'none', sharedGrant: true } as const;
const BOUND = { SIM_SESSION_BINDING: '1' };

const sharedGrantBinding: Scenario[] = [
  {
    name: "BIND-A one grant per user: an abandoned bound flow's grant is not revoked under the connection completed from a second flow",
    provider: SHARED_GRANT,
    env: BOUND,
    async run(s) {
      await flow(s, 'alice'); // the user closes this tab: never completed
      const second = await flow(s, 'alice');
      await s.world.invoke('complete', 'complete', { flowHandle: handleOf(second), userId: 'alice' });
      if (!ok(await s.fetch('alice'))) s.fail('the completed connection serves no token');
      await s.sleep(7 * 60_000);
      await s.sweep();
      s.age('alice', { issuedAgoMs: 3_700_000, validForMs: -1000 });
      const after = await s.fetch('alice');
      if (!ok(after)) s.fail(`the live connection was logged out: ${code(after)}`);
    },
  },
  {
    name: "BIND-B one grant per user: a forwarded consent link refused for session mismatch does not revoke the victim's live grant",
    provider: SHARED_GRANT,
    env: BOUND,
    async run(s) {
      const own = await flow(s, 'alice');
      await s.world.invoke('complete', 'complete', { flowHandle: handleOf(own), userId: 'alice' });
      // mallory starts a flow and gets alice to consent with her provider account; the application completes it
      // for alice's session: refused.
      const attack = await flow(s, 'mallory', 'alice');
      const refused = await s.world.invoke('complete', 'complete', { flowHandle: handleOf(attack), userId: 'alice' });
      if (code(refused) !== 'invalid_request')
        s.fail(`the mismatch was not refused: ${JSON.stringify(refused.answer)}`);
      s.age('alice', { issuedAgoMs: 3_700_000, validForMs: -1000 });
      const after = await s.fetch('alice');
      if (!ok(after)) s.fail(`alice's live connection was logged out: ${code(after)}`);
    },
  },
];

export const EVENTS_BINDING_SCENARIOS: readonly Scenario[] = [
  ...failedRefreshEvent,
  ...recoveredEvent,
  ...connectedEvent,
  ...sharedGrantBinding,
];
