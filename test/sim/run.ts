/**
 * `npm run simulate -- --seeds N [--from S] [--workers K] [--adapter NAME] [--extended] [--trace SEED]`
 * `npm run simulate -- --scenarios` (the scripted regression scenarios; SIM_TRACE=1 prints failing traces)
 *
 * Runs N seeded schedules (seeds S .. S+N-1) of the deterministic simulation against the real core, on K
 * worker processes, and ends with one line: `simulate: S schedules, T steps, V violations` (exit code 1 when
 * V > 0). The first failing seeds are printed with their violations; `--trace SEED` replays one seed and prints
 * its whole schedule. `--extended` runs the extended mix (test/sim/simulation.ts).
 */
import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { adapters } from './adapters';
import { SCENARIOS, runScenario } from './scenarios';
import { EVENTS_BINDING_SCENARIOS } from './scenarios-events-binding';
import { REVIEW_SCENARIOS } from './scenarios-review';
import { runSchedule, type ScheduleMix, type ScheduleResult } from './simulation';

interface Args {
  scenarios: boolean;
  seeds: number;
  from: number;
  workers: number;
  adapter: string;
  mix: ScheduleMix;
  trace?: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    scenarios: false,
    seeds: 1000,
    from: 1,
    workers: Math.max(1, Math.min(cpus().length, 8)),
    adapter: 'current',
    mix: 'classic',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const number = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
      i++;
      return n;
    };
    if (flag === '--seeds') args.seeds = number();
    else if (flag === '--from') args.from = number();
    else if (flag === '--workers') args.workers = Math.max(1, number());
    else if (flag === '--trace') args.trace = number();
    else if (flag === '--scenarios') args.scenarios = true;
    else if (flag === '--extended') args.mix = 'extended';
    else if (flag === '--adapter' && value) {
      args.adapter = value;
      i++;
    } else throw new Error(`unknown argument ${String(flag)}`);
  }
  if (!(args.adapter in adapters)) throw new Error(`--adapter must be one of ${Object.keys(adapters).join(', ')}`);
  return args;
}

interface Summary {
  schedules: number;
  steps: number;
  violations: number;
  failures: Array<Pick<ScheduleResult, 'seed' | 'violations' | 'description'>>;
}

/** Runs seeds [from, to) in this process. */
async function runRange(adapterName: string, mix: ScheduleMix, from: number, to: number): Promise<Summary> {
  const adapter = adapters[adapterName as keyof typeof adapters];
  const summary: Summary = { schedules: 0, steps: 0, violations: 0, failures: [] };
  for (let seed = from; seed < to; seed++) {
    const result = await runSchedule(seed, adapter, { mix });
    summary.schedules++;
    summary.steps += result.steps;
    summary.violations += result.violations.length;
    if (result.violations.length > 0 && summary.failures.length < 20)
      summary.failures.push({ seed, violations: result.violations.slice(0, 5), description: result.description });
  }
  return summary;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--worker') {
    const [adapterName, mix, from, to] = [
      process.argv[3]!,
      process.argv[4] as ScheduleMix,
      Number(process.argv[5]),
      Number(process.argv[6]),
    ];
    process.send!(await runRange(adapterName, mix, from, to));
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  if (args.scenarios) {
    let failed = 0;
    const scenarios = [...SCENARIOS, ...REVIEW_SCENARIOS, ...EVENTS_BINDING_SCENARIOS];
    for (const scenario of scenarios) {
      const result = await runScenario(scenario, adapters[args.adapter as keyof typeof adapters]);
      const problems = [...result.violations, ...result.failures];
      if (problems.length > 0) failed++;
      process.stdout.write(
        `${problems.length === 0 ? 'pass' : 'FAIL'}  ${scenario.name}\n${problems.map((p) => `        - ${p}\n`).join('')}`,
      );
      if (problems.length > 0 && process.env.SIM_TRACE) process.stdout.write(`${result.trace.join('\n')}\n`);
    }
    process.stdout.write(`scenarios: ${scenarios.length} run, ${failed} failed\n`);
    process.exitCode = failed > 0 ? 1 : 0;
    return;
  }
  if (args.trace !== undefined) {
    const result = await runSchedule(args.trace, adapters[args.adapter as keyof typeof adapters], {
      trace: true,
      mix: args.mix,
    });
    process.stdout.write(`${result.trace.join('\n')}\n`);
    process.stdout.write(`simulate: 1 schedules, ${result.steps} steps, ${result.violations.length} violations\n`);
    process.exitCode = result.violations.length > 0 ? 1 : 0;
    return;
  }
  const started = Date.now();
  const per = Math.ceil(args.seeds / args.workers);
  const ranges = Array.from(
    { length: args.workers },
    (_, i) => [args.from + i * per, Math.min(args.from + args.seeds, args.from + (i + 1) * per)] as const,
  ).filter(([a, b]) => b > a);
  const results = await Promise.all(
    ranges.map(
      ([from, to]) =>
        new Promise<Summary>((resolve, reject) => {
          const child = fork(__filename, ['--worker', args.adapter, args.mix, String(from), String(to)], {
            execArgv: process.execArgv,
          });
          child.once('message', (message) => resolve(message as Summary));
          child.once('exit', (code) =>
            code === 0 ? undefined : reject(new Error(`worker for seeds ${from}-${to - 1} exited with ${code}`)),
          );
        }),
    ),
  );
  const total = results.reduce<Summary>(
    (a, r) => ({
      schedules: a.schedules + r.schedules,
      steps: a.steps + r.steps,
      violations: a.violations + r.violations,
      failures: [...a.failures, ...r.failures],
    }),
    { schedules: 0, steps: 0, violations: 0, failures: [] },
  );
  for (const failure of total.failures.sort((a, b) => a.seed - b.seed).slice(0, 10)) {
    process.stdout.write(
      `seed ${failure.seed} (${failure.description}):\n${failure.violations.map((v) => `  - ${v}`).join('\n')}\n  replay: npm run simulate -- --adapter ${args.adapter}${args.mix === 'extended' ? ' --extended' : ''} --trace ${failure.seed}\n`,
    );
  }
  process.stderr.write(
    `(${args.adapter} core, ${args.mix} mix, ${args.workers} worker(s), ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  process.stdout.write(
    `simulate: ${total.schedules} schedules, ${total.steps} steps, ${total.violations} violations\n`,
  );
  process.exitCode = total.violations > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`simulate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
