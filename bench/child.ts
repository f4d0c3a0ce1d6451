/** Runs a Node.js child process and answers the JSON it prints on its last `BENCH_RESULT ` line. */
import { spawn } from 'node:child_process';

const MARKER = 'BENCH_RESULT ';

export function runChild<T>(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<T> {
  return runMarked<T>(process.execPath, args, env, {
    timeoutMs,
    label: `bench child ${args.join(' ').slice(0, 200)}`,
  });
}

/**
 * Runs `command` and answers the JSON of its last `BENCH_RESULT ` line; SIGKILL after `timeoutMs`. Rejects with
 * the exit code and the end of its stderr when it fails or prints no result.
 */
export function runMarked<T>(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { readonly timeoutMs: number; readonly label: string },
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith(MARKER));
      if (code !== 0 || !line) {
        reject(new Error(`${options.label} exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(MARKER.length)) as T);
    });
  });
}

/** The environment of a function's child process: this process's (emulator endpoint, fake credentials) + the functions'. */
export function childEnv(
  functionEnv: Readonly<Record<string, string>>,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return { ...process.env, ...functionEnv, POWERTOOLS_LOG_LEVEL: 'WARN', ...extra };
}
