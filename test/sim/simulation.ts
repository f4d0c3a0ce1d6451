/**
 * One seeded schedule: a deployment with a provider variant, fault rates and a few users, then a random mix of
 * fetch storms, forced refreshes, revokes, reconnects, sweeps, crashes, secret rotations and consent
 * withdrawals, run on virtual time with the invariants checked after every step. A seed fixes everything, so a
 * failing seed replays exactly, with its trace.
 *
 * Two mixes: `classic` (the seeds listed as regressions keep meaning the schedules that found them) and `extended`,
 * which also varies the proactive-refresh policy and turns session binding on for some deployments, so that the
 * parked grant, `complete` (late, abandoned, retried) and the use mark meet revokes, sweeps and crashes, and
 * makes containers' clocks move while code runs (each read a millisecond on: world.ts `clockTicks`). The
 * extended choices come from a generator of their own: a seed's classic plan is the same in both mixes.
 */
import { Invariants } from './invariants';
import { RandomFaults, type CallInfo, type Fault, type FaultPolicy } from './network';
import type { RotationVariant } from './provider-model';
import { Rng, type Scheduler } from './scheduler';
import { SIM_RETURN_TO, World, type CoreAdapter, type SimAnswer } from './world';

export interface ScheduleResult {
  readonly seed: number;
  readonly steps: number;
  readonly violations: readonly string[];
  readonly trace: readonly string[];
  readonly invocations: number;
  readonly description: string;
}

/** Faults switched off while the users first connect. */
class Switchable implements FaultPolicy {
  enabled = false;
  constructor(private readonly inner: FaultPolicy) {}
  decide(call: CallInfo): Fault {
    return this.enabled ? this.inner.decide(call) : { kind: 'ok', latencyMs: call.service === 'Provider' ? 20 : 3 };
  }
}

interface Plan {
  readonly variant: RotationVariant;
  readonly revocationScope: 'grant' | 'token';
  readonly refreshTokenOnFirstConsentOnly: boolean;
  /** Tunables of this deployment (the shortest lease the time model allows, or longer). */
  readonly env: Record<string, string>;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds?: number;
  readonly users: readonly string[];
  readonly rates: ConstructorParameters<typeof RandomFaults>[1];
  readonly horizonSeconds: number;
  readonly operations: number;
}

export type ScheduleMix = 'classic' | 'extended';

/** What the extended mix adds to a plan. */
interface Extension {
  readonly env: Record<string, string>;
  readonly sessionBinding: boolean;
  /** Chance that a user completes a parked flow (else the tab is closed and the handle expires). */
  readonly completeChance: number;
  /** Chance that a completion is sent twice at once (a retried Invoke). */
  readonly doubleCompleteChance: number;
}

function extend(rng: Rng): Extension {
  const sessionBinding = rng.chance(0.4);
  return {
    env: {
      TOKEN_VAULT_PROACTIVE_REFRESH: rng.pick(['used', 'used', 'all', 'none']),
      ...(sessionBinding ? { SIM_SESSION_BINDING: '1' } : {}),
    },
    sessionBinding,
    completeChance: rng.pick([1, 0.85, 0.5]),
    doubleCompleteChance: rng.pick([0, 0.1, 0.3]),
  };
}

function plan(rng: Rng): Plan {
  const variant = rng.pick<RotationVariant>(['strict', 'strict', 'strict', 'grace', 'none', 'no_refresh_token']);
  const level = rng.pick(['quiet', 'mild', 'mild', 'heavy'] as const);
  const rates = {
    quiet: { awsLatencyMs: 8, providerLatencyMs: 150, slow: 0, error: 0, stall: 0, lost: 0 },
    mild: { awsLatencyMs: 8, providerLatencyMs: 150, slow: 0.03, error: 0.02, stall: 0.005, lost: 0.005 },
    heavy: { awsLatencyMs: 10, providerLatencyMs: 300, slow: 0.08, error: 0.06, stall: 0.02, lost: 0.02 },
  }[level];
  const refreshTtl = rng.chance(0.25) ? rng.pick([300, 1800]) : undefined;
  return {
    variant,
    revocationScope: rng.pick(['grant', 'token'] as const),
    refreshTokenOnFirstConsentOnly: rng.chance(0.15),
    env: {
      TOKEN_VAULT_REFRESH_LEASE_SECONDS: String(rng.pick([10, 12, 25])),
      TOKEN_VAULT_FORCED_REFRESH_MIN_INTERVAL_SECONDS: String(rng.pick([0, 30])),
    },
    accessTokenTtlSeconds: rng.pick([60, 120, 600, 3600]),
    ...(refreshTtl === undefined ? {} : { refreshTokenTtlSeconds: refreshTtl }),
    users: ['alice', 'bob', 'carol'].slice(0, rng.int(1, 3)),
    rates,
    horizonSeconds: rng.int(60, 1200),
    operations: rng.int(6, 28),
  };
}

export async function runSchedule(
  seed: number,
  adapter: CoreAdapter,
  options: { trace?: boolean; mix?: ScheduleMix } = {},
): Promise<ScheduleResult> {
  // The plan has its own generator, so that the deployment is fixed by the seed before the world exists.
  const p = plan(new Rng(seed ^ 0x5eed5eed));
  const x = options.mix === 'extended' ? extend(new Rng(seed ^ 0x0e7e0e7e)) : undefined;
  let switchable: Switchable | undefined;
  const world = new World(
    {
      seed,
      provider: {
        variant: p.variant,
        graceMs: 30_000,
        accessTokenTtlSeconds: p.accessTokenTtlSeconds,
        revocationScope: p.revocationScope,
        refreshTokenOnFirstConsentOnly: p.refreshTokenOnFirstConsentOnly,
        ...(p.refreshTokenTtlSeconds === undefined ? {} : { refreshTokenTtlSeconds: p.refreshTokenTtlSeconds }),
      },
      faults: (scheduler: Scheduler) => (switchable = new Switchable(new RandomFaults(scheduler, p.rates))),
      maxContainersPerFunction: 3,
      sharedContainerChance: 0.3,
      trace: options.trace ?? false,
      clockTicks: x !== undefined,
    },
    { ...adapter, env: { ...adapter.env, ...p.env, ...x?.env } },
  );
  const rng = world.scheduler.rng;
  const description = `${p.variant} provider (revokes ${p.revocationScope}${p.refreshTokenOnFirstConsentOnly ? ', refresh token on first consent only' : ''}), lease ${p.env.TOKEN_VAULT_REFRESH_LEASE_SECONDS} s, ${p.accessTokenTtlSeconds} s tokens${p.refreshTokenTtlSeconds ? `, ${p.refreshTokenTtlSeconds} s refresh tokens` : ''}, ${p.users.length} user(s), ${p.operations} operations over ${p.horizonSeconds} s, faults ${JSON.stringify(p.rates)}${x ? `; extended: ${JSON.stringify({ ...x.env, completeChance: x.completeChance, doubleCompleteChance: x.doubleCompleteChance })}` : ''}`;
  world.log(`schedule ${seed}: ${description}`);
  const invariants = new Invariants(world);
  const lastToken = new Map<string, string>();
  const pending: Array<Promise<unknown>> = [];

  const track = (promise: Promise<unknown>): void => void pending.push(promise);
  const remember = (userId: string, answer: SimAnswer | undefined): void => {
    if (answer?.ok === true && typeof answer.accessToken === 'string') lastToken.set(userId, answer.accessToken);
  };

  const connectFlow = async (userId: string, callbackDelayMs: number): Promise<void> => {
    const started = world.now;
    const connect = await world.invoke('connect', 'connect', { userId, returnTo: SIM_RETURN_TO });
    const answer = connect.answer as SimAnswer | undefined;
    if (answer?.ok !== true) return;
    const url = new URL(String(answer.authorizationUrl));
    const state = url.searchParams.get('state') ?? '';
    const code = world.provider.authorize(userId, url.searchParams.get('code_challenge') ?? '');
    world.flows.set(code, { userId, startedAt: started, state });
    await world.scheduler.sleep(callbackDelayMs);
    const callback = await world.invoke('callback', 'callback', { code, state });
    const handle = (callback.answer as { flowHandle?: unknown } | undefined)?.flowHandle;
    if (!x || typeof handle !== 'string') return;
    world.flowHandles.set(handle, code);
    // The application's page completes the link for the signed-in user, soon or late, or never.
    if (!rng.chance(x.completeChance)) return;
    await world.scheduler.sleep(rng.int(10, 20_000));
    const times = rng.chance(x.doubleCompleteChance) ? 2 : 1;
    await Promise.all(
      Array.from({ length: times }, () => world.invoke('complete', 'complete', { flowHandle: handle, userId })),
    );
  };

  const operations: Array<() => void> = [
    // A fetch, sometimes a storm of them for one user.
    () => {
      const userId = rng.pick(p.users);
      const n = rng.chance(0.3) ? rng.int(3, 25) : 1;
      const minValiditySeconds = rng.pick([undefined, 0, 60, 120, 900]);
      for (let i = 0; i < n; i++) {
        track(
          world
            .invoke('token-fetch', 'token-fetch', {
              userId,
              ...(minValiditySeconds === undefined ? {} : { minValiditySeconds }),
            })
            .then((inv) => remember(userId, inv.answer as SimAnswer)),
        );
      }
    },
    () => {
      const userId = rng.pick(p.users);
      const n = rng.chance(0.3) ? rng.int(2, 8) : 1;
      for (let i = 0; i < n; i++) {
        const rejected = rng.chance(0.8) ? lastToken.get(userId) : undefined;
        track(
          world
            .invoke('refresh', 'refresh', {
              userId,
              ...(rejected === undefined ? {} : { rejectedAccessToken: rejected }),
            })
            .then((inv) => remember(userId, inv.answer as SimAnswer)),
        );
      }
    },
    () =>
      track(
        world.invoke('revoke', 'revoke', {
          userId: rng.pick(p.users),
          reason: rng.pick(['user_disconnected', 'suspicious_activity', 'account_deactivated']),
        }),
      ),
    () => track(connectFlow(rng.pick(p.users), rng.int(500, 30_000))),
    () => track(world.invoke('refresh', 'sweep', { sweep: true })),
    () => world.crashOne(),
    () => world.rotateSecret(),
    () => {
      const live = world.provider.grants.filter((g) => !g.ended);
      if (live.length > 0) world.provider.withdraw(rng.pick(live).id);
    },
  ];
  const weights = [40, 14, 6, 7, 9, 6, 1, 1];

  for (const userId of p.users) track(connectFlow(userId, 100));
  world.scheduler.at(5_000, () => {
    switchable!.enabled = true;
    for (let i = 0; i < p.operations; i++) {
      const at = rng.int(0, p.horizonSeconds * 1000);
      const op = weighted(rng, weights);
      world.scheduler.at(at, operations[op]!);
    }
  });
  await world.scheduler.run({
    until: world.now + (p.horizonSeconds + 300) * 1000,
    maxSteps: 200_000,
    afterEach: () => invariants.check(),
  });
  invariants.check();
  return {
    seed,
    steps: world.scheduler.steps,
    violations: world.violations,
    trace: world.trace,
    invocations: world.invocations.length,
    description,
  };
}

function weighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let roll = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    roll -= weights[i]!;
    if (roll < 0) return i;
  }
  return weights.length - 1;
}
