/**
 * Keycloak as a second, real authorization server for the tests: installed by scripts/setup-keycloak.sh into
 * `.keycloak/<version>/`, started here in dev mode (`kc.sh start-dev`) on free loopback ports, HTTP only, with an
 * in-memory H2 database, so runs in parallel share nothing but the read-only install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** What scripts/setup-keycloak.sh installed (its stdout). */
export interface KeycloakInstall {
  readonly version: string;
  /** The unpacked distribution (`bin/kc.sh`, `lib/`, ...). */
  readonly home: string;
  /** The Java binary the script found (17 or newer). */
  readonly java: string;
}

export interface StartKeycloakOptions {
  /** Default: {@link installKeycloak} (quick when installed, a download and a build of about a minute otherwise). */
  readonly install?: KeycloakInstall;
  /** Bootstrap admin of the master realm (default `admin`). */
  readonly adminUsername?: string;
  /** Default: random. */
  readonly adminPassword?: string;
  /** How long to wait for the server to answer (default 180 s: a loaded 2-core machine needs 30 s or more). */
  readonly readyTimeoutMs?: number;
  /** Keep the log file after a clean stop (it is always kept after a failed start). */
  readonly keepLog?: boolean;
}

/** A running Keycloak. */
export interface Keycloak {
  readonly version: string;
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  readonly port: number;
  /** Where the management interface would listen (health and metrics are off, so normally nothing does). */
  readonly managementPort: number;
  readonly adminUsername: string;
  readonly adminPassword: string;
  /** The server's output (Keycloak logs a lot: it never goes to stdout). */
  readonly logFile: string;
  /** From spawning `kc.sh` to the master realm answering. */
  readonly startMs: number;
  /** `http://127.0.0.1:<port>/realms/<realm>`: the realm's issuer and the base of its endpoints. */
  realmUrl(realm: string): string;
  /** SIGTERM, then SIGKILL after 10 s; waits for the exit. Safe to call twice. */
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '..', '..');
const SETUP_SCRIPT = join(REPO_ROOT, 'scripts', 'setup-keycloak.sh');
const HOST = '127.0.0.1';
/** Must equal BUILD_OPTIONS in scripts/setup-keycloak.sh: other build-time options make every start rebuild. */
const BUILD_OPTIONS = ['--db=dev-mem'];
/**
 * C1 only: the server starts in about half the time (measured 11-13 s instead of 20-24 s on 2 cores) and a test's
 * few hundred requests never need C2's code. The same as JAVA_OPTIONS in scripts/setup-keycloak.sh.
 */
const JAVA_OPTS_APPEND = '-XX:TieredStopAtLevel=1';
/**
 * Variables that would change how kc.sh or Keycloak run (KC_* options, JVM options, kc.sh's `DEBUG`, which opens
 * a debug port), dropped from the inherited environment so a developer's shell cannot change the test server.
 */
const DROPPED_ENV = /^(KC_|KEYCLOAK_|QUARKUS_|JAVA_OPTS|JAVA_ADD_OPENS$|DEBUG$|DEBUG_PORT$|DEBUG_SUSPEND$|JAVA$)/;

/**
 * Runs scripts/setup-keycloak.sh and returns what it installed. Its progress (stderr) is forwarded; a failure
 * (no Java, download or checksum failure) is an error quoting the script's last lines.
 */
export function installKeycloak(): Promise<KeycloakInstall> {
  return new Promise((resolveInstall, reject) => {
    const child = spawn('bash', [SETUP_SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`scripts/setup-keycloak.sh failed (exit ${code}): ${lastLines(stderr, 5)}`));
        return;
      }
      try {
        const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Partial<KeycloakInstall>;
        if (typeof parsed.home !== 'string' || typeof parsed.java !== 'string' || typeof parsed.version !== 'string')
          throw new Error('missing fields');
        resolveInstall({ version: parsed.version, home: parsed.home, java: parsed.java });
      } catch (err) {
        reject(
          new Error(
            `scripts/setup-keycloak.sh printed no install description (${(err as Error).message}): ${stdout.slice(0, 200)}`,
          ),
        );
      }
    });
  });
}

/**
 * Starts `kc.sh start-dev` and resolves once the master realm answers. The server is stopped with the returned
 * handle, and also when this process exits or is killed (see {@link startWatchdog}).
 */
export async function startKeycloak(options: StartKeycloakOptions = {}): Promise<Keycloak> {
  const install = options.install ?? (await installKeycloak());
  const [port = 0, managementPort = 0] = await freePorts(2);
  const adminUsername = options.adminUsername ?? 'admin';
  const adminPassword = options.adminPassword ?? randomBytes(18).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'token-vault-keycloak-'));
  const logFile = join(dir, 'keycloak.log');
  const baseUrl = `http://${HOST}:${port}`;

  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !DROPPED_ENV.test(name)),
  );
  Object.assign(env, {
    JAVA: install.java,
    JAVA_OPTS_APPEND,
    KC_BOOTSTRAP_ADMIN_USERNAME: adminUsername,
    KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
  });
  const args = [
    'start-dev',
    ...BUILD_OPTIONS,
    `--http-host=${HOST}`,
    `--http-port=${port}`,
    `--http-management-port=${managementPort}`,
    // A fixed issuer, whatever Host header a request carries.
    `--hostname=${baseUrl}`,
    // The transaction manager's object store defaults to <home>/data, shared by every run of this install.
    `-Dquarkus.transaction-manager.object-store.directory=${join(dir, 'transaction-logs')}`,
  ];

  const logFd = openSync(logFile, 'a');
  const started = Date.now();
  // Its own process group: kc.sh runs java as a child, and both must stop together (kill(-pid)).
  const child = spawn(join(install.home, 'bin', 'kc.sh'), args, {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  child.unref();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pgid = child.pid;
  if (pgid === undefined) {
    await new Promise<void>((r) => child.once('error', () => r()));
    throw new Error(`could not start ${join(install.home, 'bin', 'kc.sh')}`);
  }
  const watchdog = startWatchdog(pgid);
  const killOnExit = (): void => signalGroup(pgid, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      await stopGroup(child, pgid, exited);
      watchdog.kill('SIGKILL');
    })();
    return stopping;
  };

  try {
    await waitUntilReady(baseUrl, child, logFile, options.readyTimeoutMs ?? 180_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const startMs = Date.now() - started;

  return {
    version: install.version,
    baseUrl,
    port,
    managementPort,
    adminUsername,
    adminPassword,
    logFile,
    startMs,
    realmUrl: (realm) => `${baseUrl}/realms/${encodeURIComponent(realm)}`,
    stop: async () => {
      await stop();
      if (!options.keepLog) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A shell that kills the server's process group when this process goes away, however it goes: it waits for EOF
 * on a pipe from this process (the kernel closes it on exit, SIGKILL included). It ignores the terminal's SIGINT,
 * which reaches it together with this process: it must outlive its parent to do its job.
 */
function startWatchdog(pgid: number): ChildProcess {
  // dash's kill takes no `--`; `-KILL -<pgid>` is the form both dash and bash read as a process group.
  const script = 'trap "" INT TERM HUP; while read -r _; do :; done; kill -KILL -"$1" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, 'keycloak-watchdog', String(pgid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // Neither the process nor its pipe may keep this process's event loop alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** kc.sh forwards SIGTERM to java and waits for it; Keycloak stops in 1-3 s. */
async function stopGroup(child: ChildProcess, pgid: number, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    signalGroup(pgid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  // kc.sh gone but java still there (kc.sh killed on its own): the group must not outlive the handle.
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    const deadline = Date.now() + 5_000;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  }
}

async function waitUntilReady(baseUrl: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `Keycloak exited (${child.exitCode ?? child.signalCode}) before answering; log ${logFile}:\n${tail(logFile)}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/realms/master`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  throw new Error(`Keycloak at ${baseUrl} did not answer within ${timeoutMs} ms; log ${logFile}:\n${tail(logFile)}`);
}

/** Free loopback ports, all held open together so that the OS hands out distinct ones. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolveServer, reject) => {
          const server = createServer();
          server.unref();
          server.once('error', reject);
          server.listen(0, HOST, () => resolveServer(server));
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

function tail(file: string, lines = 30): string {
  try {
    return lastLines(readFileSync(file, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}

function lastLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
