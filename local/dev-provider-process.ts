/**
 * Starts the development OAuth authorization server (`local/dev-provider.mjs`, panva/oidc-provider) as a child
 * process on loopback and gives typed access to its endpoints and test controls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One OAuth client registered at the development provider. */
export interface DevProviderClient {
  readonly client_id: string;
  readonly client_secret: string;
  /** Exact redirect URIs (compared character for character by the provider). */
  readonly redirect_uris: readonly string[];
  /** How the client authenticates at the token, revocation and introspection endpoints (default post). */
  readonly token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic';
}

/** Options of {@link startDevProvider}. */
export interface DevProviderOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  readonly port?: number;
  readonly clients: readonly DevProviderClient[];
  /** Access token lifetime (default 3600 s). */
  readonly accessTokenTtlSeconds?: number;
  /** Refresh token lifetime, restarted by every rotation (default 30 days). */
  readonly refreshTokenTtlSeconds?: number;
  /** Scopes to accept besides `openid offline_access profile email read write`. */
  readonly extraScopes?: readonly string[];
  /** How long to wait for the ready line (default 15 s). */
  readonly readyTimeoutMs?: number;
  /**
   * Quirk switches in force from the start (also changeable with {@link DevProvider.setQuirks}).
   * @default - none, unless the environment's `DEV_PROVIDER_QUIRKS` names some (`npm start`)
   */
  readonly quirks?: DevProviderQuirks;
}

/**
 * Switches that make the development provider behave like a specific real provider. All are off by default, and
 * off they change nothing. The token endpoint's answers are rewritten after oidc-provider produced them.
 */
export interface DevProviderQuirks {
  /** OAuth errors of the token endpoint come with this HTTP status (GitHub and Slack: 200). @default - 400/401 */
  readonly tokenErrorStatus?: number;
  /**
   * Token errors renamed: keys are `grant_type:error` or `error`, e.g.
   * `{ 'refresh_token:invalid_grant': 'bad_refresh_token' }` (GitHub). @default - RFC 6749 codes
   */
  readonly errorCodes?: Readonly<Record<string, string>>;
  /** `token_type` of every token answer: `bearer` (GitHub), `bot` (Slack), `DPoP`, `MAC`. @default 'Bearer' */
  readonly tokenType?: string;
  /** `expires_in` as a numeric string (Azure AD v1), or left out (Salesforce). @default 'number' */
  readonly expiresIn?: 'number' | 'string' | 'absent';
  /**
   * Adds the refresh token's lifetime to token answers: `refresh_token_expires_in` (GitHub) or
   * `refresh_expires_in` (Keycloak; `seconds: 0` for offline tokens). @default - not stated
   */
  readonly refreshTokenExpiresIn?: {
    readonly field: 'refresh_token_expires_in' | 'refresh_expires_in';
    readonly seconds?: number;
  };
  /** False: refresh tokens are not rotated and refresh answers carry none (Google). @default true */
  readonly rotateRefreshTokens?: boolean;
  /** A refresh token only when authorized with `access_type=offline` (Google). @default false */
  readonly refreshTokenRequiresOfflineAccess?: boolean;
  /**
   * A refresh token only on an account's first authorization of the client, or with `prompt=consent` (Google).
   * @default false
   */
  readonly refreshTokenOnFirstConsentOnly?: boolean;
  /**
   * A rotated refresh token presented again within this many seconds gets the same answer (the same successor)
   * instead of revoking the grant (Okta, Auth0). @default 0
   */
  readonly reuseGraceSeconds?: number;
}

/** Counters kept by the provider since start or the last {@link DevProvider.resetStats}. */
export interface DevProviderStats {
  /** Successful authorization_code grants. */
  readonly authorizationCodeGrants: number;
  /** Successful refresh_token grants. */
  readonly refreshGrants: number;
  /** refresh_token grants answered with an OAuth error. */
  readonly refreshFailures: number;
  /** Already-rotated refresh tokens presented again (each one revoked its grant). */
  readonly reuseDetected: number;
  /** Revocation requests the provider answered 200 (RFC 7009 answers 200 for unknown tokens too). */
  readonly revocations: number;
  /** Every HTTP request received at the token endpoint, faulted ones included. */
  readonly tokenRequests: number;
  /** Introspection requests answered 200. */
  readonly introspections: number;
  /** Every HTTP request received at the revocation endpoint, faulted ones included. */
  readonly revocationRequests: number;
  /** Grants destroyed: reuse detection, revoking a refresh token (not an access token), {@link DevProvider.revokeGrants}. */
  readonly grantsRevoked: number;
  /** Requests answered or delayed by an injected fault. */
  readonly faultsServed: number;
  /** Used refresh tokens answered from the grace window ({@link DevProviderQuirks.reuseGraceSeconds}). */
  readonly reuseGraceServed: number;
}

/**
 * A fault served to the next `count` requests to an endpoint, before they reach oidc-provider.
 * - `status`: answers `status` (default 503) with `body` (default `{"error":"temporarily_unavailable",...}`).
 * - `slow`: waits `delayMs` (default 1000) and then lets the request through.
 * - `hang`: never answers (the client has to time out).
 * - `html`: an HTML page, status `status` (default 200).
 * - `invalid_json`: `application/json` that does not parse, status `status` (default 200).
 * - `missing_fields`: JSON `body` (default `{"token_type":"Bearer"}`, no access token), status `status` (default 200).
 * - `oversized`: a JSON body of over 1 MiB, status `status` (default 200).
 * `retryAfter` sets a `Retry-After` header (seconds or an HTTP date) on every mode but `slow`.
 */
export interface DevProviderFault {
  readonly endpoint: 'token' | 'revocation';
  readonly mode: 'status' | 'slow' | 'hang' | 'html' | 'invalid_json' | 'missing_fields' | 'oversized';
  readonly status?: number;
  readonly retryAfter?: string;
  readonly delayMs?: number;
  readonly body?: unknown;
  /** How many consecutive requests get the fault (default 1). */
  readonly count?: number;
}

/** A running development provider. */
export interface DevProvider {
  /** `http://127.0.0.1:<port>`; also the `iss` of its authorization responses (RFC 9207). */
  readonly issuer: string;
  readonly port: number;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly introspectionUrl: string;
  stats(): Promise<DevProviderStats>;
  resetStats(): Promise<void>;
  injectFault(fault: DevProviderFault): Promise<void>;
  /** Drops faults not served yet. */
  clearFaults(): Promise<void>;
  /** Withdraws every grant of an account (its next refresh answers `invalid_grant`); resolves to how many. */
  revokeGrants(accountId: string): Promise<number>;
  /** Replaces every quirk switch (`{}` turns them all off). */
  setQuirks(quirks: DevProviderQuirks): Promise<void>;
  /** The quirk switches in force. */
  quirks(): Promise<DevProviderQuirks>;
  /** Stops the server and waits for the process to exit. Safe to call twice. */
  stop(): Promise<void>;
}

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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  try {
    const ready = await waitForReady(child, options.readyTimeoutMs ?? 15_000, () => stderr);
    const discovery = await fetchJson<Discovery>(`${ready.issuer}/.well-known/openid-configuration`);
    return makeHandle(child, ready, discovery, exited, killOnExit);
  } catch (err) {
    process.removeListener('exit', killOnExit);
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
  killOnExit: () => void,
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
        process.removeListener('exit', killOnExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
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
