/**
 * Runs one cold Lambda container: a fresh Node.js process (Lambda's Node major when set up) running the runtime
 * emulation (bootstrap.cjs) on one bundle, inside the CPU share's cgroup when there is one.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CpuShare } from './cgroup';

const MARKER = 'BENCH_RESULT ';
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
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith(MARKER));
      if (code !== 0 || !line) {
        reject(new Error(`cold child ${options.bundle} exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(MARKER.length)) as ColdRun);
    });
  });
}
