/**
 * Cold start as Lambda runs it, and power tuning. Each function's bundle as deployed (the package's built assets,
 * packages/cdk/assets/<name>/index.js) and a hello-world bundle built the same way run in fresh processes of
 * Lambda's Node.js major (scripts/setup-node24.sh), each inside a cgroup whose CPU quota is the share of one vCPU
 * that Lambda gives the memory size (memory / 1,769 MB), with a short CFS period. A minimal runtime client
 * (cold/bootstrap.cjs) loads the bundle and takes its events from a Runtime API stand-in (cold/runtime-api.ts), so
 * both sides pay the runtime's own HTTP. Per function and size: the median first answer of fresh processes and the
 * median warm invocation; from those, the cheapest and the fastest size (cold/power-tuning.ts) and the ratio of the
 * first answer to hello-world's at the cheapest size.
 *
 * Tuning by environment: BENCH_COLD_RUNS (processes per cell, default 5), BENCH_COLD_SIZES (MB, comma-separated),
 * BENCH_COLD_FUNCTIONS (function names, comma-separated), BENCH_COLD_PERIOD_US (CFS period, default 10,000).
 * Variants, to measure a possible improvement against the same hello-world: BENCH_COLD_NODE_OPTIONS (instead of the
 * deployed NODE_OPTIONS), BENCH_COLD_COMPILE_CACHE=1 (Node's compile cache, filled by one unmeasured run per bundle:
 * what a cache shipped in the asset would give, built by the same Node.js version).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS, type FunctionKey } from '@token-vault/cdk/src/definitions/functions';
import { bundle, CDK_PACKAGE_ROOT, REPO_ROOT } from './bundle';
import { childEnv } from './child';
import { openCpuShare, shareOfMemory, type CpuQuota } from './cold/cgroup';
import { BACKGROUND, COLD_USER, EVENTS, EXTRA_ENV, FIRST_CALL } from './cold/events';
import {
  COLD_FRACTION,
  LAMBDA_ARM64_PRICES,
  MIN_DEFAULT_MIB,
  PRICE_TIE,
  renderPowerTuning,
  tune,
  type Tuning,
} from './cold/power-tuning';
import { runCold, type ColdRun } from './cold/runner';
import { startRuntimeApi } from './cold/runtime-api';
import { percentile, type Figure, type Section } from './report';
import type { BenchStack } from './stack';

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const SIZES = (list(process.env.BENCH_COLD_SIZES) ?? ['128', '256', '512', '1024', '1769']).map(Number);
const ONLY = list(process.env.BENCH_COLD_FUNCTIONS);
const PERIOD_US = Number(process.env.BENCH_COLD_PERIOD_US ?? 10_000);
/** Warm invocations per process, each after a pause longer than many CFS periods. */
const WARM = 5;
const PAUSE_MS = 100;
/** What VaultFunction sets (packages/cdk/src/constructs/vault-function.ts). */
const DEPLOYED_NODE_OPTIONS = '--enable-source-maps';
const NODE_OPTIONS = process.env.BENCH_COLD_NODE_OPTIONS ?? DEPLOYED_NODE_OPTIONS;
const COMPILE_CACHE = process.env.BENCH_COLD_COMPILE_CACHE === '1';
/** Issue 15's target: first answer at most 1.5 times hello-world's under the same CPU share. */
const TARGET_RATIO = 1.5;

interface Subject {
  readonly name: string;
  readonly key?: FunctionKey;
  readonly file: string;
  readonly event: unknown;
  readonly timeoutMs: number;
  readonly env: Record<string, string>;
}

/** Lambda's Node.js major from scripts/setup-node24.sh, or this process's Node.js with a note. */
function lambdaNode(notes: string[]): string {
  try {
    const out = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'setup-node24.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    if (out && existsSync(out)) return out;
    throw new Error(`no node binary at "${out}"`);
  } catch (error) {
    notes.push(
      `cold start: Lambda's Node.js 24 could not be set up (${(error as Error).message.split('\n')[0]}); measured on ${process.version}.`,
    );
    return process.execPath;
  }
}

export async function measureColdStart(stack: BenchStack): Promise<Section> {
  const notes: string[] = [];
  const node = lambdaNode(notes);
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const cpu = openCpuShare({ periodUs: PERIOD_US });
  if (!cpu.available)
    notes.push(
      `cold start: CPU share: unavailable (${cpu.reason}); every size was measured at FULL CPU, so the sizes differ only in price and the table does not tune anything.`,
    );
  const api = await startRuntimeApi();
  try {
    await stack.connectUser(COLD_USER);
    const keys = (Object.keys(FUNCTIONS) as FunctionKey[]).filter((k) => !ONLY || ONLY.includes(FUNCTIONS[k].name));
    const hello = await bundle('bench/cold/hello.ts', 'hello-world', true);
    const subjects: Subject[] = [
      { name: 'hello-world', file: hello.file, event: {}, timeoutMs: 3000, env: {} },
      ...keys.map((key) => {
        const file = join(CDK_PACKAGE_ROOT, 'assets', FUNCTIONS[key].name, 'index.js');
        if (!existsSync(file)) throw new Error(`no built bundle at ${file}: run npm run build first`);
        return {
          name: FUNCTIONS[key].name,
          key,
          file,
          event: EVENTS[key],
          timeoutMs: FUNCTIONS[key].timeoutSeconds * 1000,
          env: EXTRA_ENV[key] ?? {},
        };
      }),
    ];
    const cacheDir = (subject: Subject) => join(__dirname, 'out', 'compile-cache', subject.name);
    const envOf = (subject: Subject, size: number) =>
      childEnv(stack.env, {
        ...subject.env,
        NODE_OPTIONS,
        ...(COMPILE_CACHE ? { NODE_COMPILE_CACHE: cacheDir(subject) } : {}),
        AWS_LAMBDA_RUNTIME_API: api.address,
        AWS_LAMBDA_FUNCTION_NAME: subject.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(size),
        BENCH_WARM: String(WARM),
        BENCH_PAUSE_MS: String(PAUSE_MS),
      });
    if (COMPILE_CACHE) {
      if (cpu.available) cpu.limit(1);
      for (const subject of subjects) {
        rmSync(cacheDir(subject), { recursive: true, force: true });
        mkdirSync(cacheDir(subject), { recursive: true });
        api.serve(JSON.stringify(subject.event), subject.timeoutMs);
        await runCold({ node, bundle: subject.file, cpu, env: envOf(subject, 1769) });
      }
    }
    const runs = new Map<string, ColdRun[]>();
    const quotas = new Map<number, CpuQuota>();
    // Repetition outermost: drift of the shared machine spreads over every cell alike.
    for (let rep = 0; rep < RUNS; rep++) {
      for (const size of SIZES) {
        if (cpu.available) quotas.set(size, cpu.limit(shareOfMemory(size)));
        for (const subject of subjects) {
          api.serve(JSON.stringify(subject.event), subject.timeoutMs);
          const run = await runCold({
            node,
            bundle: subject.file,
            cpu,
            env: envOf(subject, size),
          });
          const errors = api.takeErrors();
          if (errors.length > 0) throw new Error(`${subject.name} answered an error: ${errors[0]}`);
          const cell = `${subject.name}@${size}`;
          runs.set(cell, [...(runs.get(cell) ?? []), run]);
        }
      }
      process.stderr.write(`bench: cold-start repetition ${rep + 1}/${RUNS} done\n`);
    }

    mkdirSync(join(__dirname, 'out'), { recursive: true });
    writeFileSync(
      join(__dirname, 'out', 'cold-start-runs.json'),
      `${JSON.stringify(Object.fromEntries(runs), null, 1)}\n`,
    );
    const cellOf = (name: string, size: number) => runs.get(`${name}@${size}`)!;
    const median = (name: string, size: number, pick: (r: ColdRun) => number) =>
      percentile(cellOf(name, size).map(pick), 50);
    const warmMedian = (name: string, size: number) =>
      percentile(
        cellOf(name, size).flatMap((r) => r.warmMs),
        50,
      );
    const helloAt = SIZES.map((size) => ({
      memoryMiB: size,
      firstAnswerMs: median('hello-world', size, (r) => r.firstAnswerMs),
    }));
    const tunings: Array<{ name: string; key: FunctionKey; tuning: Tuning }> = subjects
      .filter((s): s is Subject & { key: FunctionKey } => s.key !== undefined)
      .map((s) => ({
        name: s.name,
        key: s.key,
        tuning: tune(
          SIZES.map((size, i) => ({
            memoryMiB: size,
            firstAnswerMs: median(s.name, size, (r) => r.firstAnswerMs),
            warmMs: warmMedian(s.name, size),
            helloFirstAnswerMs: helloAt[i]!.firstAnswerMs,
          })),
          { background: BACKGROUND.has(s.key) },
        ),
      }));

    const figures: Figure[] = [];
    for (const { name, key, tuning } of tunings) {
      const { cheapest, fastest, chosen } = tuning;
      const deployed = FUNCTIONS[key].memoryMiB;
      figures.push(
        {
          label: `${name}: bundle size (KB)`,
          on: statSync(subjects.find((s) => s.name === name)!.file).size / 1024,
          digits: 1,
        },
        { label: `${name}: cheapest memory (MB)`, on: cheapest.memoryMiB },
        { label: `${name}: fastest memory (MB)`, on: fastest.memoryMiB },
        {
          label: `${name}: chosen memory (MB; the default is ${deployed})`,
          on: chosen.memoryMiB,
          target: 'the default',
          met: chosen.memoryMiB === deployed,
        },
        {
          label: `${name}: first answer at ${chosen.memoryMiB} MB (ms, median)`,
          on: chosen.firstAnswerMs,
          off: chosen.helloFirstAnswerMs,
        },
        {
          label: `${name}: first answer / hello-world's at ${chosen.memoryMiB} MB`,
          on: chosen.ratioToHello,
          digits: 2,
          target: `<= ${TARGET_RATIO}x`,
          met: chosen.ratioToHello <= TARGET_RATIO,
        },
      );
    }

    const table = renderPowerTuning(tunings, helloAt);
    const breakdown = SIZES.map(
      (size) =>
        `${size} MB: ` +
        subjects
          .map(
            (s) =>
              `${s.name} ${median(s.name, size, (r) => r.bootMs).toFixed(0)}+${median(s.name, size, (r) => r.loadMs).toFixed(0)}+${median(s.name, size, (r) => r.firstMs).toFixed(0)} (cpu ${median(s.name, size, (r) => r.coldCpuMs).toFixed(0)})`,
          )
          .join(', '),
    );
    const quotaText = cpu.available
      ? SIZES.map((s) => {
          const q = quotas.get(s)!;
          return `${s} MB ${((100 * q.quotaUs) / q.periodUs).toFixed(1)} % (${q.quotaUs}/${q.periodUs} us)`;
        }).join(', ')
      : 'none (full CPU)';
    notes.push(
      `cold start: ${RUNS} fresh processes per function and memory size, median; Node.js ${nodeVersion} (${node === process.execPath ? 'this process' : 'scripts/setup-node24.sh'}), NODE_OPTIONS=${NODE_OPTIONS === DEPLOYED_NODE_OPTIONS ? `${NODE_OPTIONS} as deployed` : `"${NODE_OPTIONS}" (VARIANT; deployed: ${DEPLOYED_NODE_OPTIONS})`}${COMPILE_CACHE ? ', compile cache pre-filled (VARIANT)' : ''}; CPU share by cgroup v1 cpu quota, period ${PERIOD_US} us: ${quotaText}.`,
      "cold start: the runtime is emulated (bench/cold/bootstrap.cjs): node:http, require() of the bundle, GET next from a Runtime API stand-in, the handler, POST response. 'First answer' runs from the process start to the posted response; Lambda's own work before the process (sandbox, code download) is not included.",
      `cold start: warm = median of ${WARM} invocations per process, ${PAUSE_MS} ms apart, against moto on loopback (1-3 ms per AWS call; in AWS 4-6 ms). Price = ${1 - COLD_FRACTION} x warm + ${COLD_FRACTION} x first answer (init is billed), durations rounded up to 1 ms, Lambda arm64 $${LAMBDA_ARM64_PRICES.perGbSecond}/GB-s + $${LAMBDA_ARM64_PRICES.perMillionRequests}/M requests. Chosen = among the sizes of at least ${MIN_DEFAULT_MIB} MB (memory headroom), the fastest first answer of those within ${PRICE_TIE * 100} % of their cheapest price; for the background functions (${[...BACKGROUND].map((k) => FUNCTIONS[k].name).join(', ')}: nobody waits for them) the cheapest. This machine is x86, not Graviton.`,
      `cold start: the "off" column of "first answer" is hello-world's under the same share. Breakdown per size, medians, ms: boot + load + first invocation (CPU ms until the first answer): ${breakdown.join('; ')}.`,
      ...keys.map((k) => `cold start ${FUNCTIONS[k].name}: first invocation ${FIRST_CALL[k]}`),
      `cold start: load average after measuring ${loadavg()
        .map((x) => x.toFixed(1))
        .join(
          ' / ',
        )} (1/5/15 min) on ${cpus().length} cores; the quota is a ceiling, other load lowers the share a child gets.`,
    );
    return {
      title: `cold start and power tuning: built bundles under the CPU share of ${SIZES.join(', ')} MB, runtime emulated`,
      off: "hello-world's bundle under the same CPU share (first answer only)",
      figures,
      notes,
      detail: `power tuning (first answer / warm, ratio to hello-world, $ per million at ${COLD_FRACTION * 100} % cold):\n${table}`,
    };
  } finally {
    await api.close();
    if (cpu.available) cpu.close();
  }
}
