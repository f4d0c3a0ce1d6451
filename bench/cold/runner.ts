/**
 * Runs one cold Lambda container: a fresh Node.js process (Lambda's Node major when set up) running the runtime
 * emulation (bootstrap.cjs) on one bundle, inside the CPU share's cgroup when there is one.
 */
import { join } from 'node:path';
import { runMarked } from '../child';
import type { CpuShare } from './cgroup';

const BOOTSTRAP = join(__dirname, 'bootstrap.cjs');

/** What one cold container measured (ms on the child's clock, whose origin is its process start). */
export interface ColdRun {
  /** Node.js's own start-up, until the runtime client's first line. */
  readonly bootMs: number;
  /** require() of the bundle. */
  readonly loadMs: number;
  /** From loaded to the first answer posted (GET next, handler, POST response). */
  readonly firstMs: number;
  /** Process start to the first answer posted: what a caller of a cold function waits, less Lambda's own work. */
  readonly firstAnswerMs: number;
  /** CPU time (user + system) of the process until the first answer. */
  readonly coldCpuMs: number;
  /** Each warm invocation, from the event received (GET next answered) to the answer posted: the billed duration. */
  readonly warmMs: readonly number[];
  readonly answer: string;
}

export interface ColdRunOptions {
  readonly node: string;
  readonly bundle: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cpu: CpuShare;
  readonly timeoutMs?: number;
}

export function runCold(options: ColdRunOptions): Promise<ColdRun> {
  const args = [BOOTSTRAP];
  const { command, args: argv } = options.cpu.available
    ? options.cpu.wrap(options.node, args)
    : { command: options.node, args };
  const env = { ...options.env, BENCH_BUNDLE: options.bundle };
  return runMarked<ColdRun>(command, argv, env, {
    timeoutMs: options.timeoutMs ?? 120_000,
    label: `cold child ${options.bundle}`,
  });
}
