/**
 * The AWS emulator (moto server) on loopback, for the local stack, the tests and the bench: started once,
 * or reused when `AWS_ENDPOINT_URL` already points at one.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exitOf, freePorts, killOnExit, LOOPBACK, tailFile, terminate, waitUntilAnswers } from './child-process';

/** A running emulator. */
export interface Emulator {
  /** Base URL for SDK clients, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** True when this process started the server (and so stops it); false when reusing `AWS_ENDPOINT_URL`. */
  readonly owned: boolean;
  /**
   * Where the server's own output goes while it runs (owned only; removed by stop()): moto logs every request,
   * too much for stdout.
   */
  readonly logFile: string | undefined;
  /** Stops the server if owned; a no-op otherwise. Safe to call twice. */
  stop(): Promise<void>;
  /** Deletes every resource in the emulator (all services, all accounts). */
  reset(): Promise<void>;
}

export interface StartEmulatorOptions {
  /** Port to listen on; a free one is picked by default. */
  readonly port?: number;
  /** How long to wait for the server to answer, in milliseconds (default 30 s). */
  readonly readyTimeoutMs?: number;
}

/** Repository root: this file lives in `<root>/local/`. */
const REPO_ROOT = resolve(__dirname, '..');
const MOTO_SERVER = join(REPO_ROOT, '.venv', 'bin', 'moto_server');
const PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
/** moto_server serialised to one request at a time: moto's conditional writes are not atomic otherwise (see the file). */
const MOTO_ENTRY = join(REPO_ROOT, 'local', 'moto_server.py');
const HOST = LOOPBACK;

/**
 * Starts moto server on 127.0.0.1 (or reuses `AWS_ENDPOINT_URL` when set) and resolves once it answers.
 * An owned server is also killed when this process exits, so a crashed test run leaves nothing behind.
 */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<Emulator> {
  const existing = process.env.AWS_ENDPOINT_URL;
  if (existing) return reuseEmulator(existing);
  if (!existsSync(MOTO_SERVER)) {
    throw new Error(
      `moto server not found at ${MOTO_SERVER}: run \`bash scripts/setup-python.sh\` in ${REPO_ROOT} first`,
    );
  }

  const port = opts.port ?? (await freePorts(1))[0]!;
  const endpoint = `http://${HOST}:${port}`;
  const logFile = join(tmpdir(), `token-vault-moto-${process.pid}-${port}.log`);
  const logFd = openSync(logFile, 'a');
  const child = spawn(PYTHON, [MOTO_ENTRY, '-H', HOST, '-p', String(port)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', logFd, logFd],
    // Werkzeug prints a banner through Python's buffered stdout; unbuffered keeps the log useful on failure.
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  // The child has its own copy of the descriptor.
  closeSync(logFd);
  // Do not keep the parent's event loop alive for the server's sake; the exit hook below still kills it.
  child.unref();
  const exited = exitOf(child);
  const unhook = killOnExit(() => child.kill('SIGKILL'));
  // SIGTERM, then SIGKILL if the server lingers (werkzeug normally exits at once).
  const stopChild = (): Promise<void> => terminate(child, exited, 5_000);

  try {
    await waitUntilAnswers({
      url: `${endpoint}/moto-api/`,
      child,
      timeoutMs: opts.readyTimeoutMs ?? 30_000,
      intervalMs: 100,
      name: 'moto server',
      baseUrl: endpoint,
      diagnostics: () => `:\n${tailFile(logFile, 20)}`,
    });
  } catch (err) {
    unhook();
    await stopChild();
    throw err;
  }

  return {
    endpoint,
    owned: true,
    logFile,
    stop: async () => {
      unhook();
      await stopChild();
      // Startup failures quote the log in the error; after a clean run it is only clutter in the temp dir.
      rmSync(logFile, { force: true });
    },
    reset: () => resetAt(endpoint),
  };
}

/** An emulator this process did not start, at `endpoint` (trailing slashes dropped): stop() leaves it running. */
export function reuseEmulator(endpoint: string): Emulator {
  const base = endpoint.replace(/\/+$/, '');
  return {
    endpoint: base,
    owned: false,
    logFile: undefined,
    stop: () => Promise.resolve(),
    reset: () => resetAt(base),
  };
}

async function resetAt(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
}
