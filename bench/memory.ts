/**
 * Memory: peak RSS of a fresh `node` process (bench/memory-child.ts bundled with BUNDLING, as deployed) that runs
 * the warm token-fetch loop against the local stack; median of RUNS processes per side. "off": the same code
 * with its caches disabled.
 */
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { bundle } from './bundle';
import { childEnv, runChild } from './child';
import { percentile, type Section } from './report';
import type { BenchStack } from './stack';

const RUNS = 3;
const FETCHES = 1000;
const USER = 'memory-user';

interface ChildResult {
  maxRssKiB: number;
  vmHwmKiB: number | null;
  rssAfterInitKiB: number;
  rssEndKiB: number;
}

export async function measureMemory(stack: BenchStack): Promise<Section> {
  await stack.connectUser(USER);
  const child = await bundle('bench/memory-child.ts', 'memory-child', true);
  const runs = { on: [] as ChildResult[], off: [] as ChildResult[] };
  for (let i = 0; i < RUNS; i++) {
    for (const side of ['on', 'off'] as const) {
      const env = childEnv(stack.env, { BENCH_CACHES: side, BENCH_FETCHES: String(FETCHES), BENCH_USER: USER });
      runs[side].push(await runChild<ChildResult>(['--enable-source-maps', child.file], env, 300_000));
    }
  }
  const mib = (side: 'on' | 'off', pick: (r: ChildResult) => number) => percentile(runs[side].map(pick), 50) / 1024;
  return {
    title: `memory: fresh node process running ${FETCHES} warm token-fetches (bundled as deployed), median of ${RUNS}`,
    off: 'caches (DataKeyCache disabled, client-secret max age 0)',
    figures: [
      {
        label: 'peak RSS (MiB, resourceUsage().maxRSS)',
        on: mib('on', (r) => r.maxRssKiB),
        off: mib('off', (r) => r.maxRssKiB),
        digits: 1,
      },
      {
        label: 'peak RSS (MiB, /proc/self/status VmHWM)',
        on: mib('on', (r) => r.vmHwmKiB ?? Number.NaN),
        off: mib('off', (r) => r.vmHwmKiB ?? Number.NaN),
        digits: 1,
      },
      {
        label: 'RSS after initialisation (MiB)',
        on: mib('on', (r) => r.rssAfterInitKiB),
        off: mib('off', (r) => r.rssAfterInitKiB),
        digits: 1,
      },
    ],
    notes: [
      `memory: the function is sized at ${FUNCTIONS.tokenFetch.memoryMiB} MB; the peak is that of the whole Node.js process (runtime, bundle, SDK clients, caches).`,
    ],
  };
}
