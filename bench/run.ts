/**
 * `npm run bench`: starts the local stack once, runs each measurement (one file per measurement in bench/) and
 * prints one table; the same figures go to bench/out/results.json. Not part of `npm test`: figures are reported,
 * targets are marked ok / MISSED, and the exit code is 0 unless a measurement could not run.
 *
 * `npm run bench -- refresh-storm` runs only the named measurements (`scale` brings `warm-fetch` and `capacity` with it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureCapacity } from './capacity';
import { measureCallerLibrary } from './caller-library';
import { measureColdStart } from './cold-start';
import { measureCost } from './cost';
import { measureMemory } from './memory';
import { measureRefresh } from './refresh';
import { measureRefreshStorm } from './refresh-storm';
import { measureScale } from './scale';
import { measureWarmFetch } from './warm-fetch';
import { machine, renderTable, type Section } from './report';
import { startBenchStack, type BenchStack } from './stack';

interface Measurement {
  readonly name: string;
  readonly run: (stack: BenchStack) => Promise<Section>;
}

/** In table order. Add a measurement here (and its file). */
const MEASUREMENTS: readonly Measurement[] = [
  { name: 'warm-fetch', run: (stack) => measureWarmFetch(stack) },
  { name: 'cold-start', run: (stack) => measureColdStart(stack) },
  { name: 'refresh', run: (stack) => measureRefresh(stack) },
  { name: 'refresh-storm', run: (stack) => measureRefreshStorm(stack) },
  { name: 'caller-library', run: (stack) => measureCallerLibrary(stack) },
  { name: 'memory', run: (stack) => measureMemory(stack) },
  { name: 'cost', run: (stack) => measureCost(stack) },
  { name: 'scale', run: (stack) => measureScale(stack) },
  { name: 'capacity', run: (stack) => measureCapacity(stack) },
];

/**
 * Measurements that come with another when it is named: the scale run prints the capacity model from its figures,
 * and the model's token-fetch line needs the warm-fetch figures (measured first, on a fresh stack).
 */
const WITH: Readonly<Record<string, readonly string[]>> = { scale: ['warm-fetch', 'capacity'] };

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !MEASUREMENTS.some((m) => m.name === name));
  if (unknown.length > 0)
    throw new Error(
      `unknown measurement(s): ${unknown.join(', ')}; known: ${MEASUREMENTS.map((m) => m.name).join(', ')}`,
    );
  const named = new Set(wanted.flatMap((name) => [name, ...(WITH[name] ?? [])]));
  const selected = wanted.length === 0 ? MEASUREMENTS : MEASUREMENTS.filter((m) => named.has(m.name));
  const started = new Date();
  const stack = await startBenchStack();
  const sections: Section[] = [];
  try {
    for (const measurement of selected) {
      process.stderr.write(`bench: ${measurement.name}...\n`);
      sections.push(await measurement.run(stack));
    }
    // Printed before the stack stops: after a large run the emulator takes seconds to exit, and the figures
    // should not wait for it (or be lost if the stop fails).
    process.stdout.write(renderTable(sections, started));
    const out = join(__dirname, 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      join(out, 'results.json'),
      `${JSON.stringify({ date: started.toISOString(), machine: machine(), sections }, null, 2)}\n`,
    );
  } finally {
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
