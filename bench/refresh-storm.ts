/**
 * Refresh storm: `callers` concurrent token-fetches of one expired connection in one warm container, `rounds`
 * times. Reports the refreshes the provider saw per storm (the target: exactly 1), the waiters' latency and the
 * AWS calls, with in-process coalescing on (as deployed) and off (`coalesce: false`: every caller goes through
 * the DynamoDB lease on its own and polls the item while another holds it).
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { countAwsCalls } from './aws-calls';
import { mean, percentile, type Section } from './report';
import type { BenchStack } from './stack';
import { fetchDeadline } from './token-service';

export interface RefreshStormOptions {
  /** @default 100 */
  readonly callers?: number;
  /** @default 5 */
  readonly rounds?: number;
}

interface SideResult {
  latenciesMs: number[];
  refreshesPerStorm: number[];
  reuseDetected: number;
  failed: number;
  distinctTokensPerStorm: number[];
  dynamoDbCallsPerStorm: number[];
  kmsCallsPerStorm: number[];
}

export async function measureRefreshStorm(stack: BenchStack, options: RefreshStormOptions = {}): Promise<Section> {
  const callers = options.callers ?? 100;
  const rounds = options.rounds ?? 5;
  const sides = { on: side(stack, 'storm-coalesced', true), off: side(stack, 'storm-uncoalesced', false) };
  await sides.on.prepare();
  await sides.off.prepare();
  // Rounds alternate between the two sides, so that drift of the machine affects both alike.
  for (let round = 0; round < rounds; round++) {
    await sides.on.storm(callers);
    await sides.off.storm(callers);
  }
  const on = sides.on.result();
  const off = sides.off.result();
  const max = (xs: number[]): number => Math.max(...xs);
  return {
    title: `refresh storm: ${callers} concurrent token-fetches of an expired connection, one warm container, ${rounds} storms`,
    off: 'in-process coalescing (RefreshCoordinator coalesce: false)',
    figures: [
      {
        label: 'refreshes at the provider per storm (max)',
        on: max(on.refreshesPerStorm),
        off: max(off.refreshesPerStorm),
        target: 'exactly 1',
        met: on.refreshesPerStorm.every((n) => n === 1),
      },
      {
        label: 'refresh-token reuse detected',
        on: on.reuseDetected,
        off: off.reuseDetected,
        target: '0',
        met: on.reuseDetected === 0,
      },
      { label: 'failed token-fetches', on: on.failed, off: off.failed, target: '0', met: on.failed === 0 },
      {
        label: 'distinct tokens per storm (max)',
        on: max(on.distinctTokensPerStorm),
        off: max(off.distinctTokensPerStorm),
        target: '1',
        met: on.distinctTokensPerStorm.every((n) => n === 1),
      },
      {
        label: 'waiter latency p50 (ms)',
        on: percentile(on.latenciesMs, 50),
        off: percentile(off.latenciesMs, 50),
        digits: 1,
      },
      {
        label: 'waiter latency p99 (ms)',
        on: percentile(on.latenciesMs, 99),
        off: percentile(off.latenciesMs, 99),
        digits: 1,
      },
      {
        label: 'DynamoDB calls per storm (mean)',
        on: mean(on.dynamoDbCallsPerStorm),
        off: mean(off.dynamoDbCallsPerStorm),
        digits: 1,
      },
      {
        label: 'KMS calls per storm (mean)',
        on: mean(on.kmsCallsPerStorm),
        off: mean(off.kmsCallsPerStorm),
        digits: 1,
      },
    ],
    notes: [
      'storm: without coalescing the DynamoDB lease still allows only one provider refresh; the waiters pay for it in polling (50-250 ms) and reads.',
      'storm: latency is measured around TokenService.fetch against moto and the local provider on this machine. moto answers one request at a time ' +
        '(local/moto_server.py), so the 100 concurrent GetItems of a storm queue up there; in DynamoDB they run in parallel.',
    ],
  };
}

function side(stack: BenchStack, userId: string, coalesce: boolean) {
  const container = stack.newContainer();
  const tokens = stack.tokenService(container, { coalesce });
  const calls = countAwsCalls(container);
  const acc: SideResult = {
    latenciesMs: [],
    refreshesPerStorm: [],
    reuseDetected: 0,
    failed: 0,
    distinctTokensPerStorm: [],
    dynamoDbCallsPerStorm: [],
    kmsCallsPerStorm: [],
  };
  const fetch = () => tokens.fetch({ userId, applicationId: 'default', minValiditySeconds: 60 }, fetchDeadline());
  return {
    /** Connects the user and warms the container (client secret, data key), like a container already serving it. */
    prepare: async (): Promise<void> => {
      await stack.connectUser(userId);
      await fetch();
    },
    storm: async (callers: number): Promise<void> => {
      await stack.ageAccessToken(userId, -1000);
      await stack.provider.resetStats();
      calls.reset();
      const outcomes = await Promise.all(
        Array.from({ length: callers }, async () => {
          const started = performance.now();
          try {
            const token = await fetch();
            return {
              ms: performance.now() - started,
              hash: createHash('sha256').update(token.accessToken).digest('hex'),
            };
          } catch {
            return { ms: performance.now() - started, hash: undefined };
          }
        }),
      );
      const stats = await stack.provider.stats();
      acc.latenciesMs.push(...outcomes.map((o) => o.ms));
      acc.failed += outcomes.filter((o) => o.hash === undefined).length;
      acc.distinctTokensPerStorm.push(new Set(outcomes.flatMap((o) => (o.hash === undefined ? [] : [o.hash]))).size);
      acc.refreshesPerStorm.push(stats.refreshGrants);
      acc.reuseDetected += stats.reuseDetected;
      acc.dynamoDbCallsPerStorm.push(calls.of('DynamoDB'));
      acc.kmsCallsPerStorm.push(calls.of('KMS'));
    },
    result: (): SideResult => acc,
  };
}
