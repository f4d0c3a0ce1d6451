/**
 * One refresh at a time: a connected user's access token is made to look expired, then one token-fetch
 * refreshes it. Counts, per refresh, the provider's refresh grants and the AWS calls of the container.
 * "off": the same code with its caches disabled (DataKeyCache disabled, client secrets max age 0).
 */
import { performance } from 'node:perf_hooks';
import { countAwsCalls, type AwsService } from './aws-calls';
import { percentile, type Section } from './report';
import type { BenchStack } from './stack';
import { fetchDeadline } from './token-service';

const REFRESHES = 20;

export interface RefreshSide {
  readonly refreshes: number;
  readonly providerRefreshes: number;
  readonly calls: Record<string, number>;
  readonly wallMs: number[];
  perRefresh(service: AwsService): number;
}

export interface RefreshStats {
  readonly on: RefreshSide;
  readonly off: RefreshSide;
}

const memo = new WeakMap<BenchStack, Promise<RefreshStats>>();

/** Measured once per stack (the cost model reuses the figures). */
export function refreshStats(stack: BenchStack): Promise<RefreshStats> {
  let stats = memo.get(stack);
  if (!stats) {
    stats = measure(stack);
    memo.set(stack, stats);
  }
  return stats;
}

async function measure(stack: BenchStack): Promise<RefreshStats> {
  const sides = [side(stack, 'refresh-on', true), side(stack, 'refresh-off', false)] as const;
  for (const s of sides) await s.prepare();
  for (let i = 0; i < REFRESHES; i++) for (const s of sides) await s.refreshOnce();
  return { on: sides[0].result(), off: sides[1].result() };
}

function side(stack: BenchStack, userId: string, caches: boolean) {
  const container = stack.newContainer();
  const tokens = stack.tokenService(container, { caches });
  const counter = countAwsCalls(container);
  const fetch = () => tokens.fetch({ userId, applicationId: 'default', minValiditySeconds: 60 }, fetchDeadline());
  let providerRefreshes = 0;
  const wallMs: number[] = [];
  const calls: Record<string, number> = {};
  return {
    /** Connects and does one refresh first, so the container is warm (client secret, clients) like a serving one. */
    prepare: async (): Promise<void> => {
      await stack.connectUser(userId);
      await stack.ageAccessToken(userId, -1000);
      await fetch();
    },
    refreshOnce: async (): Promise<void> => {
      await stack.ageAccessToken(userId, -1000);
      await stack.provider.resetStats();
      counter.reset();
      const started = performance.now();
      await fetch();
      wallMs.push(performance.now() - started);
      providerRefreshes += (await stack.provider.stats()).refreshGrants;
      for (const [name, n] of Object.entries(counter.calls)) calls[name] = (calls[name] ?? 0) + n;
    },
    result: (): RefreshSide => ({
      refreshes: wallMs.length,
      providerRefreshes,
      calls,
      wallMs,
      perRefresh: (service) =>
        Object.entries(calls).reduce((sum, [name, n]) => (name.startsWith(`${service}.`) ? sum + n : sum), 0) /
        wallMs.length,
    }),
  };
}

const callList = (calls: Record<string, number>, n: number): string =>
  Object.entries(calls)
    .map(([name, count]) => `${name} ${(count / n).toFixed(2)}`)
    .join(', ');

export async function measureRefresh(stack: BenchStack): Promise<Section> {
  const { on, off } = await refreshStats(stack);
  return {
    title: `refresh: ${on.refreshes} sequential refreshes of an expired connection per side (token-fetch), one warm container per side`,
    off: 'caches (DataKeyCache disabled, client-secret max age 0)',
    figures: [
      {
        label: 'provider refreshes per refresh',
        on: on.providerRefreshes / on.refreshes,
        off: off.providerRefreshes / off.refreshes,
        digits: 2,
        target: '1',
        met: on.providerRefreshes === on.refreshes,
      },
      { label: 'KMS calls per refresh', on: on.perRefresh('KMS'), off: off.perRefresh('KMS'), digits: 2 },
      {
        label: 'DynamoDB calls per refresh',
        on: on.perRefresh('DynamoDB'),
        off: off.perRefresh('DynamoDB'),
        digits: 2,
      },
      {
        label: 'Secrets Manager calls per refresh',
        on: on.perRefresh('SecretsManager'),
        off: off.perRefresh('SecretsManager'),
        digits: 2,
      },
      {
        label: 'refresh wall time p50 (ms, local provider + moto)',
        on: percentile(on.wallMs, 50),
        off: percentile(off.wallMs, 50),
        digits: 1,
      },
    ],
    notes: [
      `refresh: calls per refresh, on: ${callList(on.calls, on.refreshes)}; off: ${callList(off.calls, off.refreshes)}.`,
    ],
  };
}
