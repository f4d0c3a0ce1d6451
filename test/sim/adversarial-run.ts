/**
 * Runs the adversarial scenarios (test/sim/adversarial-scenarios.ts) against a core adapter and prints, per
 * scenario, pass/FAIL with the invariants' violations and the scenario's own failed expectations; for failures
 * the trace too (all of it with ADV_TRACE=full, else the lines around the first violation/expectation).
 *
 *   npx tsx test/sim/adversarial-run.ts [--adapter current] [--only SUBSTRING] [--quiet] [--trace]
 */
import { adapters } from './adapters';
import { ADVERSARIAL_SCENARIOS } from './adversarial-scenarios';
import { runScenario } from './scenarios';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const adapterName = value('--adapter') ?? 'current';
  const only = value('--only');
  const quiet = argv.includes('--quiet');
  /** Print the whole trace of every scenario run, passing ones included. */
  const traceAll = argv.includes('--trace');
  const adapter = adapters[adapterName as keyof typeof adapters];
  if (!adapter) throw new Error(`--adapter must be one of ${Object.keys(adapters).join(', ')}`);
  let failed = 0;
  let run = 0;
  for (const scenario of ADVERSARIAL_SCENARIOS) {
    if (only !== undefined && !scenario.name.includes(only)) continue;
    run++;
    const result = await runScenario(scenario, adapter);
    const problems = [...result.violations.map((v) => `violation: ${v}`), ...result.failures.map((f) => `expectation: ${f}`)];
    if (problems.length > 0) failed++;
    process.stdout.write(`${problems.length === 0 ? 'pass' : 'FAIL'}  ${scenario.name}\n${problems.map((p) => `        - ${p}\n`).join('')}`);
    if ((problems.length > 0 && !quiet) || traceAll) {
      const trace = result.trace;
      let lines: readonly string[] = trace;
      if (process.env.ADV_TRACE !== 'full' && !traceAll) {
        const first = trace.findIndex((l) => l.includes('VIOLATION') || l.includes('EXPECTATION'));
        const at = first >= 0 ? first : trace.length - 1;
        lines = trace.slice(Math.max(0, at - 60), at + 15);
      }
      process.stdout.write(`      trace${process.env.ADV_TRACE === 'full' ? '' : ' (excerpt; ADV_TRACE=full for all)'}:\n${lines.map((l) => `        ${l}`).join('\n')}\n`);
    }
  }
  process.stdout.write(`adversarial: ${run} scenarios run, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`adversarial-run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
