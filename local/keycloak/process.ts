/**
 * Keycloak as a second, real authorization server for the tests: installed by scripts/setup-keycloak.sh into
 * `.keycloak/<version>/`, started here in dev mode (`kc.sh start-dev`) on free loopback ports, HTTP only, with an
 * in-memory H2 database, so runs in parallel share nothing but the read-only install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  exitOf,
  freePorts,
  killOnExit,
  LOOPBACK,
  sleep,
  tailFile,
  terminate,
  waitUntilAnswers,
} from '../child-process';
import { installKeycloak, type KeycloakInstall } from './install';

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

const HOST = LOOPBACK;
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
  const exited = exitOf(child);
  const pgid = child.pid;
  if (pgid === undefined) {
    await new Promise<void>((r) => child.once('error', () => r()));
    throw new Error(`could not start ${join(install.home, 'bin', 'kc.sh')}`);
  }
  const watchdog = startWatchdog(pgid);
  const unhook = killOnExit(() => signalGroup(pgid, 'SIGKILL'));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      unhook();
      await stopGroup(child, pgid, exited);
      watchdog.kill('SIGKILL');
    })();
    return stopping;
  };

  try {
    await waitUntilAnswers({
      url: `${baseUrl}/realms/master`,
      child,
      timeoutMs: options.readyTimeoutMs ?? 180_000,
      intervalMs: 250,
      name: 'Keycloak',
      baseUrl,
      diagnostics: () => `; log ${logFile}:\n${tailFile(logFile, 30)}`,
    });
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
  await terminate(child, exited, 10_000, (signal) => signalGroup(pgid, signal));
  // kc.sh gone but java still there (kc.sh killed on its own): the group must not outlive the handle.
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    const deadline = Date.now() + 5_000;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  }
}
