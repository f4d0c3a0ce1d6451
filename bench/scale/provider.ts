/**
 * Starts and drives the scale bench's stub token endpoint (bench/scale/stub-provider.mjs) in a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface StubStats {
  readonly refreshGrants: number;
  readonly reuseDetected: number;
  readonly invalidGrants: number;
  /** Accounts granted at least one refresh since the last reset. */
  readonly accounts: number;
  readonly maxGrantsPerAccount: number;
}

export interface StubProvider {
  readonly tokenUrl: string;
  seed(grants: ReadonlyArray<readonly [account: string, refreshToken: string]>): Promise<void>;
  setLatency(ms: number): Promise<void>;
  stats(): Promise<StubStats>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStubProvider(): Promise<StubProvider> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'stub-provider.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const base = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  const control = async (path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${base}/__control/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!response.ok) throw new Error(`stub provider: ${path} answered ${response.status}`);
    return response.json();
  };
  return {
    tokenUrl: `${base}/token`,
    seed: async (grants) => {
      await control('seed', { grants });
    },
    setLatency: async (ms) => {
      await control('latency', { ms });
    },
    stats: async () => (await control('stats')) as StubStats,
    resetStats: async () => {
      await control('reset-stats', {});
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
