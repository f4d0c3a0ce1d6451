/**
 * What the local servers run as child processes (moto in ./emulator, the development provider in
 * ./dev-provider-process, Keycloak in ./keycloak/process) share: free loopback ports, waiting until a server
 * answers, the hook that kills a child when this process exits, and the SIGTERM-then-SIGKILL stop.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Every local server listens here only. */
export const LOOPBACK = '127.0.0.1';

/**
 * Free loopback ports, all held open together so that the OS hands out distinct ones (there is a small race
 * until the child binds them; fine for dev and tests).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolveServer, reject) => {
          const server = createServer();
          server.unref();
          server.once('error', reject);
          server.listen(0, LOOPBACK, () => resolveServer(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise<void>((r) => server.close(() => r()))));
  if (ports.some((p) => p === 0)) throw new Error('could not determine free ports');
  return ports;
}

/** Resolves when the child has exited (create it right after spawning, so the event cannot be missed). */
export function exitOf(child: ChildProcess): Promise<void> {
  return new Promise<void>((r) => child.once('exit', () => r()));
}

/** True until the child has exited or been killed by a signal. */
export function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Runs `kill` when this process exits, so a crashed run leaves no server behind; returns the function that
 * removes the hook again (call it when the child is stopped on purpose).
 */
export function killOnExit(kill: () => void): () => void {
  process.once('exit', kill);
  return () => {
    process.removeListener('exit', kill);
  };
}

/**
 * SIGTERM, then SIGKILL if the child is still there after `graceMs`; resolves once it exited. A child still there
 * `graceMs` after the SIGKILL (stuck in the kernel, or a signal that missed it) is let go and the stop rejects,
 * naming it: a leaked server must fail the run, not hang it. `signal` sends the signal (default: to the child;
 * Keycloak's sends it to its process group).
 */
export async function terminate(
  child: ChildProcess,
  exited: Promise<void>,
  graceMs: number,
  signal: (signal: NodeJS.Signals) => void = (s) => {
    child.kill(s);
  },
): Promise<void> {
  if (!running(child)) return;
  // An unreferenced child's exit does not hold the event loop: once the SIGKILL timer has fired, this process
  // could end before the exit arrives and skip whatever follows the stop. Hold it until the child is gone.
  child.ref();
  signal('SIGTERM');
  let killTimer: NodeJS.Timeout | undefined;
  let giveUpTimer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => {
    killTimer = setTimeout(() => {
      signal('SIGKILL');
      giveUpTimer = setTimeout(() => resolve('stuck'), graceMs);
    }, graceMs);
  });
  const outcome = await Promise.race([exited.then(() => 'exited' as const), stuck]);
  clearTimeout(killTimer);
  clearTimeout(giveUpTimer);
  if (outcome === 'stuck') {
    child.unref();
    throw new Error(`child process ${child.pid} was still running ${graceMs} ms after SIGKILL; left behind`);
  }
}

/** Options of {@link waitUntilAnswers}. */
export interface WaitUntilAnswersOptions {
  /** What to GET; a 2xx answer means ready. */
  readonly url: string;
  /** The server's process: its exit ends the wait at once. */
  readonly child: ChildProcess;
  readonly timeoutMs: number;
  /** Pause between attempts. */
  readonly intervalMs: number;
  /** The server's name in error messages, e.g. `moto server`. */
  readonly name: string;
  /** Where it answers, for the timeout message. */
  readonly baseUrl: string;
  /** Appended to error messages, e.g. the end of the server's log. */
  readonly diagnostics: () => string;
}

/** Polls `url` until it answers 2xx; fails when the child exits first or the time is up. */
export async function waitUntilAnswers(options: WaitUntilAnswersOptions): Promise<void> {
  const { url, child, timeoutMs, intervalMs, name, baseUrl, diagnostics } = options;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running(child)) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before answering${diagnostics()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(intervalMs);
  }
  throw new Error(`${name} at ${baseUrl} did not answer within ${timeoutMs} ms${diagnostics()}`);
}

/** The last `lines` lines of a log file, or `(no log)`. */
export function tailFile(file: string, lines: number): string {
  try {
    return lastLines(readFileSync(file, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}

export function lastLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
