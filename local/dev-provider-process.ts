/**
 * Starts the development OAuth authorization server (`local/dev-provider.mjs`, panva/oidc-provider) as a child
 * process on loopback and gives typed access to its endpoints and test controls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exitOf, killOnExit, terminate } from './child-process';
import type { DevProvider, DevProviderOptions, DevProviderQuirks, DevProviderStats } from './dev-provider-types';

export type {
  DevProvider,
  DevProviderClient,
  DevProviderFault,
  DevProviderOptions,
  DevProviderQuirks,
  DevProviderStats,
} from './dev-provider-types';

interface ReadyLine {
  ready: true;
  issuer: string;
  port: number;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
}

const SCRIPT = join(__dirname, 'dev-provider.mjs');
/** Keep the end of the child's stderr for error messages; it never holds secrets (see the script). */
const STDERR_TAIL = 4000;

/** Starts `local/dev-provider.mjs` and resolves once it listens and its discovery document is read. */
export async function startDevProvider(options: DevProviderOptions): Promise<DevProvider> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DEV_PROVIDER_PORT: String(options.port ?? 0),
    DEV_PROVIDER_CLIENTS: JSON.stringify(options.clients),
    DEV_PROVIDER_ACCESS_TOKEN_TTL: String(options.accessTokenTtlSeconds ?? 3600),
    DEV_PROVIDER_REFRESH_TOKEN_TTL: String(options.refreshTokenTtlSeconds ?? 30 * 24 * 60 * 60),
    DEV_PROVIDER_EXTRA_SCOPES: (options.extraScopes ?? []).join(' '),
    ...(options.quirks === undefined ? {} : { DEV_PROVIDER_QUIRKS: JSON.stringify(options.quirks) }),
    // stdin is a pipe from this process: when this process dies, even by SIGKILL, the server sees EOF and exits.
    DEV_PROVIDER_EXIT_ON_STDIN_END: '1',
  };
  // stderr is captured, not forwarded: on Node 20 oidc-provider warns about its runtime at every start.
  const child = spawn(process.execPath, [SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  const exited = exitOf(child);
  const unhook = killOnExit(() => child.kill('SIGKILL'));

  try {
    const ready = await waitForReady(child, options.readyTimeoutMs ?? 15_000, () => stderr);
    const discovery = await fetchJson<Discovery>(`${ready.issuer}/.well-known/openid-configuration`);
    return makeHandle(child, ready, discovery, exited, unhook);
  } catch (err) {
    unhook();
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

function waitForReady(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<ReadyLine> {
  return new Promise<ReadyLine>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => done(new Error(`dev provider not ready after ${timeoutMs} ms${tail(stderr())}`)),
      timeoutMs,
    );
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      done(new Error(`dev provider exited before ready (code ${code}, signal ${signal})${tail(stderr())}`));
    const done = (err: Error | undefined, ready?: ReadyLine): void => {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      lines.removeAllListeners('line');
      // Keep draining stdout so the child can never block on a full pipe.
      child.stdout?.resume();
      if (err) reject(err);
      else resolve(ready!);
    };
    child.once('exit', onExit);
    lines.on('line', (line) => {
      const parsed = parseReady(line);
      if (parsed) done(undefined, parsed);
    });
  });
}

function parseReady(line: string): ReadyLine | undefined {
  try {
    const value = JSON.parse(line) as Partial<ReadyLine> | null;
    if (value?.ready === true && typeof value.issuer === 'string' && typeof value.port === 'number') {
      return value as ReadyLine;
    }
  } catch {
    // not the ready line
  }
  return undefined;
}

function tail(stderr: string): string {
  const trimmed = stderr.trim();
  return trimmed ? `: ${trimmed.split('\n').slice(-5).join(' | ')}` : '';
}

function makeHandle(
  child: ChildProcess,
  ready: ReadyLine,
  discovery: Discovery,
  exited: Promise<void>,
  unhook: () => void,
): DevProvider {
  const control = (path: string): string => `${ready.issuer}/__control/${path}`;
  const post = (path: string, body?: unknown): Promise<unknown> =>
    fetchJson(control(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
  let stopping: Promise<void> | undefined;
  return {
    issuer: ready.issuer,
    port: ready.port,
    authorizeUrl: discovery.authorization_endpoint,
    tokenUrl: discovery.token_endpoint,
    revocationUrl: discovery.revocation_endpoint,
    introspectionUrl: discovery.introspection_endpoint,
    stats: () => fetchJson<DevProviderStats>(control('stats')),
    resetStats: async () => {
      await post('reset-stats');
    },
    injectFault: async (fault) => {
      await post('faults', fault);
    },
    clearFaults: async () => {
      await post('clear-faults');
    },
    revokeGrants: async (accountId) => ((await post('revoke-grants', { accountId })) as { revoked: number }).revoked,
    setQuirks: async (quirks) => {
      await post('quirks', quirks);
    },
    quirks: () => fetchJson<DevProviderQuirks>(control('quirks')),
    stop: () => {
      stopping ??= (async () => {
        unhook();
        await terminate(child, exited, 5000);
      })();
      return stopping;
    },
  };
}

async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`dev provider answered HTTP ${res.status} at ${new URL(url).pathname}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}
