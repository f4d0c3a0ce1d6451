/**
 * One simulated deployment: the models (DynamoDB, KMS, Secrets Manager, the provider), the wire between them
 * and the code under test, and Lambda's execution model: per function a pool of containers, each running one
 * invocation at a time (or several, for a container shared like the local stack's), each invocation with its
 * function's timeout, after which Lambda kills the container. The code under test comes from a
 * {@link CoreAdapter}; the world only speaks the contract (payloads and answers).
 */
import { FUNCTIONS, type FunctionKey } from '@token-vault/cdk/src/definitions/functions';
import type { DimensionName, MetricKey } from '@token-vault/cdk/src/definitions/metrics';
import { DynamoDbModel, schemasFromDefinitions } from './dynamodb-model';
import { KmsModel } from './kms-model';
import { providerFetch, SimAwsClient, WireLog, type FaultPolicy, type SdkSettings } from './network';
import { ProviderModel, type ProviderSettings } from './provider-model';
import { Scheduler } from './scheduler';
import { SecretsModel } from './secrets-model';

/** An answer of an Invoke API function, as the contract shapes it. */
export type SimAnswer = Record<string, unknown> & { readonly ok: boolean };

/** The callback's outcome (the HTTP redirect reduced to its status). */
export interface SimCallbackOutcome {
  readonly status: 'connected' | 'pending' | 'error';
  readonly error?: string;
  /** A session-bound callback's handle (status `pending`), for `complete`. */
  readonly flowHandle?: string;
}

export interface MetricEvent {
  readonly container: string;
  readonly metric: MetricKey;
  readonly dimensions: Partial<Record<DimensionName, string>>;
  readonly at: number;
}

/** What a container of the code under test is built from. */
export interface ContainerDeps {
  readonly id: string;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Aborts after `ms` of virtual time. */
  readonly timeoutSignal: (ms: number) => AbortSignal;
  readonly dynamodb: SimAwsClient;
  readonly kms: SimAwsClient;
  readonly secrets: SimAwsClient;
  readonly fetch: typeof fetch;
  /** The functions' environment (table names, key, applications, tunables). */
  readonly env: Record<string, string>;
  readonly metrics: {
    count(metric: MetricKey, dimensions: MetricEvent['dimensions'], value?: number): void;
    timing(metric: MetricKey, dimensions: MetricEvent['dimensions'], ms: number): void;
  };
  readonly logger: {
    info(m: string, a?: Record<string, unknown>): void;
    warn(m: string, a?: Record<string, unknown>): void;
    error(m: string, a?: Record<string, unknown>): void;
  };
}

/** The vault's functions as one container runs them; `remainingMs` is Lambda's `getRemainingTimeInMillis()`. */
export interface SimFunctions {
  connect(input: Record<string, unknown>, remainingMs: () => number): Promise<SimAnswer>;
  callback(query: Record<string, string>, remainingMs: () => number): Promise<SimCallbackOutcome>;
  tokenFetch(input: Record<string, unknown>, remainingMs: () => number): Promise<SimAnswer>;
  refresh(input: Record<string, unknown>, remainingMs: () => number): Promise<SimAnswer>;
  revoke(input: Record<string, unknown>, remainingMs: () => number): Promise<SimAnswer>;
  sweep(remainingMs: () => number): Promise<SimAnswer>;
  complete(input: Record<string, unknown>, remainingMs: () => number): Promise<SimAnswer>;
}

export interface CoreAdapter {
  readonly name: string;
  /** How the SDK clients of this core behave (whether their request timeout really fires). */
  readonly sdk: SdkSettings;
  /** A provider timeout the core enforces with real timers (the fake fetch then enforces it in virtual time). */
  readonly providerImpliedTimeoutMs?: number;
  /** Extra function environment (tunables). */
  readonly env?: Record<string, string>;
  /**
   * How much a token just refreshed may have aged when it is served, under this environment's tunables: the
   * contract caps `minValiditySeconds` at the token lifetime less this.
   */
  settleMs(env: Record<string, string>): number;
  createContainer(deps: ContainerDeps): SimFunctions;
}

/** Which function an operation runs in (Lambda keeps separate containers per function). */
export type SimFunctionName = 'connect' | 'callback' | 'token-fetch' | 'refresh' | 'revoke' | 'complete';
const FUNCTION_KEYS: Record<SimFunctionName, FunctionKey> = {
  connect: 'connect',
  callback: 'callback',
  'token-fetch': 'tokenFetch',
  refresh: 'refresh',
  revoke: 'revoke',
  complete: 'complete',
};

export interface Invocation {
  readonly id: number;
  readonly fn: SimFunctionName;
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly container: string;
  readonly startedAt: number;
  readonly deadline: number;
  answer?: SimAnswer | SimCallbackOutcome;
  answeredAt?: number;
  /** The container died under it (injected crash, or Lambda's timeout kill). */
  crashed?: 'crash' | 'timeout';
  /** The invocation threw instead of answering (a FunctionError). */
  threw?: string;
}

interface Container {
  readonly id: string;
  readonly fn: SimFunctionName;
  readonly functions: SimFunctions;
  readonly shared: boolean;
  running: number;
  dead: boolean;
}

export interface WorldConfig {
  readonly seed: number;
  readonly provider: Omit<ProviderSettings, 'clientId'>;
  readonly faults: (scheduler: Scheduler) => FaultPolicy;
  /** At most this many containers per function. */
  readonly maxContainersPerFunction: number;
  /** Probability that a new container takes concurrent invocations (like the local stack's single process). */
  readonly sharedContainerChance: number;
  readonly trace?: boolean;
  /** Containers' clocks differ from true time (by up to MAX_CLOCK_OFFSET_MS). @default true */
  readonly clockSkew?: boolean;
  /**
   * Each read of a container's clock moves it on by 1 ms (at most MAX_CLOCK_TICK_MS ahead of its skewed time, never
   * backwards), as time passes while code runs: a check that holds only on a clock frozen between two reads fails.
   * @default false
   */
  readonly clockTicks?: boolean;
}

export const SIM_APP = 'default';
/** Largest offset of a container's clock from true time (two containers differ by at most twice this). */
export const MAX_CLOCK_OFFSET_MS = 400;
/** How far a ticking container clock runs ahead of its skewed time between two scheduler events. */
export const MAX_CLOCK_TICK_MS = 5;
const CLIENT_ID = 'sim-client';
const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:sim-default';
const KEY_ID = 'arn:aws:kms:us-east-1:000000000000:key/sim';
export const SIM_RETURN_TO = 'https://app.example.test/done';

export class World {
  readonly scheduler: Scheduler;
  readonly wire = new WireLog();
  readonly ddb: DynamoDbModel;
  readonly kms = new KmsModel(KEY_ID);
  readonly secrets = new SecretsModel();
  readonly provider: ProviderModel;
  readonly faults: FaultPolicy;
  readonly tables = { connections: 'sim-Connections', states: 'sim-OAuthStates' };
  readonly invocations: Invocation[] = [];
  /** Invocations in the order they answered (the invariants check each answer once). */
  readonly answered: Invocation[] = [];
  readonly metricEvents: MetricEvent[] = [];
  readonly violations: string[] = [];
  readonly trace: string[] = [];
  readonly crashes: Array<{ container: string; at: number }> = [];
  /** Authorization flows: code -> who started it and when. */
  readonly flows = new Map<string, { userId: string; startedAt: number; state: string }>();
  /** Session-bound flows parked by the callback: handle -> the flow's authorization code (a key of `flows`). */
  readonly flowHandles = new Map<string, string>();
  private readonly containers: Container[] = [];
  /** Resolvers of invocations in flight, settled by a crash when the code under test never answers. */
  private readonly waiting = new Map<number, () => void>();
  /** The functions' environment of this deployment. */
  readonly env: Record<string, string>;
  private containerCount = 0;
  /** Makes the next new container take concurrent invocations (a scripted scenario's shared container). */
  shareNextContainer = false;

  constructor(
    readonly config: WorldConfig,
    readonly adapter: CoreAdapter,
  ) {
    this.scheduler = new Scheduler(config.seed);
    if (config.trace) this.wire.trace = (line) => this.log(line);
    this.faults = config.faults(this.scheduler);
    this.ddb = new DynamoDbModel(schemasFromDefinitions(this.tables));
    const secret = 'sim-secret-1';
    this.secrets.put(SECRET_ID, secret);
    this.provider = new ProviderModel({ ...config.provider, clientId: CLIENT_ID }, secret, () => this.scheduler.now);
    const application = {
      applicationId: SIM_APP,
      authorizeUrl: 'https://provider.test/authorize',
      tokenUrl: 'https://provider.test/token',
      revocationUrl: 'https://provider.test/revoke',
      clientId: CLIENT_ID,
      clientSecretId: SECRET_ID,
      scopes: ['read'],
      tokenEndpointAuth: 'client_secret_post',
      revocationBody: 'form',
      redirectUri: 'https://vault.test/oauth/callback',
      returnTo: [SIM_RETURN_TO],
      // The simulation drives the callback's direct save (its interleavings with refresh and revoke), unless a
      // scenario turns session binding on (SIM_SESSION_BINDING, a setting of the simulation only).
      sessionBinding: adapter.env?.SIM_SESSION_BINDING === '1',
      // The model makes a grant per authorization, except where one grant spans a user's consents.
      revokeReplacedRefreshTokens: !config.provider.refreshTokenOnFirstConsentOnly && !config.provider.sharedGrant,
    };
    this.env = {
      TOKEN_VAULT_CONNECTIONS_TABLE: this.tables.connections,
      TOKEN_VAULT_STATES_TABLE: this.tables.states,
      TOKEN_VAULT_KEY_ID: KEY_ID,
      TOKEN_VAULT_APPLICATIONS: JSON.stringify([application]),
      ...adapter.env,
    };
  }

  get now(): number {
    return this.scheduler.now;
  }

  log(line: string): void {
    if (this.config.trace)
      this.trace.push(`${((this.now - Date.UTC(2026, 0, 1)) / 1000).toFixed(3).padStart(9)}s ${line}`);
  }

  violation(message: string): void {
    this.violations.push(message);
    this.log(`VIOLATION ${message}`);
  }

  /** Rotates the client secret: the provider accepts only the new one at once; Secrets Manager has it at once too. */
  rotateSecret(): void {
    const value = `sim-secret-${this.scheduler.rng.int(2, 1_000_000)}`;
    this.provider.clientSecret = value;
    this.secrets.put(SECRET_ID, value);
    this.log('operator rotates the client secret');
  }

  /** Kills the container with this id (a scripted crash). */
  crash(id: string): void {
    const container = this.containers.find((c) => c.id === id);
    if (container) this.kill(container, 'crash');
  }

  /** Kills a container with work in flight (or any), as Lambda may at any await. */
  crashOne(fn?: SimFunctionName): void {
    const live = this.containers.filter((c) => !c.dead && (fn === undefined || c.fn === fn));
    const busy = live.filter((c) => c.running > 0);
    const victim =
      busy.length > 0 ? this.scheduler.rng.pick(busy) : live.length > 0 ? this.scheduler.rng.pick(live) : undefined;
    if (victim) this.kill(victim, 'crash');
  }

  private kill(container: Container, why: 'crash' | 'timeout'): void {
    if (container.dead) return;
    container.dead = true;
    this.scheduler.kill(container.id);
    this.crashes.push({ container: container.id, at: this.now });
    for (const inv of this.invocations) {
      if (inv.container !== container.id || inv.answeredAt !== undefined || inv.crashed !== undefined) continue;
      inv.crashed = why;
      this.waiting.get(inv.id)?.();
    }
    this.log(`${container.id} ${why === 'crash' ? 'crashes' : 'is killed at its timeout'}`);
  }

  /** A container of `fn` to run the next invocation: an idle one, else a new one (cold start), else a busy shared one. */
  private containerFor(fn: SimFunctionName): Container {
    const live = this.containers.filter((c) => !c.dead && c.fn === fn);
    const idle = live.filter((c) => c.running === 0 || c.shared);
    if (idle.length > 0 && (live.length >= this.config.maxContainersPerFunction || this.scheduler.rng.chance(0.7)))
      return this.scheduler.rng.pick(idle);
    return this.newContainer(fn);
  }

  private newContainer(fn: SimFunctionName): Container {
    const id = `${fn}#${++this.containerCount}`;
    const sdk = this.adapter.sdk;
    // Each container's clock is off by up to MAX_CLOCK_OFFSET_MS, as two hosts' NTP-kept clocks may be.
    const offset =
      this.config.clockSkew === false ? 0 : Math.round((this.scheduler.rng.next() * 2 - 1) * MAX_CLOCK_OFFSET_MS);
    let lastRead = Number.NEGATIVE_INFINITY;
    const now = (): number => {
      const base = this.scheduler.now + offset;
      if (this.config.clockTicks !== true) return base;
      lastRead = Math.min(Math.max(lastRead + 1, base), base + MAX_CLOCK_TICK_MS);
      return lastRead;
    };
    const deps: ContainerDeps = {
      id,
      now,
      sleep: (ms) => this.scheduler.sleep(ms, id),
      random: () => this.scheduler.rng.next(),
      timeoutSignal: (ms) => this.scheduler.timeoutSignal(ms, id),
      dynamodb: new SimAwsClient(this.scheduler, this.faults, this.wire, 'DynamoDB', id, sdk, (c) => this.ddb.apply(c)),
      kms: new SimAwsClient(this.scheduler, this.faults, this.wire, 'KMS', id, sdk, (c) => this.kms.apply(c as never)),
      secrets: new SimAwsClient(this.scheduler, this.faults, this.wire, 'SecretsManager', id, sdk, (c) =>
        this.secrets.apply(c as never),
      ),
      fetch: providerFetch(
        this.scheduler,
        this.faults,
        this.wire,
        this.provider,
        id,
        this.adapter.providerImpliedTimeoutMs,
      ),
      env: this.env,
      metrics: {
        count: (metric, dimensions) => void this.metricEvents.push({ container: id, metric, dimensions, at: this.now }),
        timing: () => undefined,
      },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    const shared = this.shareNextContainer || this.scheduler.rng.chance(this.config.sharedContainerChance);
    this.shareNextContainer = false;
    const container: Container = {
      id,
      fn,
      functions: this.adapter.createContainer(deps),
      shared,
      running: 0,
      dead: false,
    };
    this.containers.push(container);
    return container;
  }

  /** Starts one invocation now; resolves when it answered, threw, or its container died. */
  /**
   * `where`: a container id to run in (a scripted scenario's "the same container"), or 'new' for a cold one;
   * by default an idle container or a new one, like Lambda.
   */
  invoke(fn: SimFunctionName, operation: string, input: Record<string, unknown>, where?: string): Promise<Invocation> {
    const chosen =
      where === 'new'
        ? this.newContainer(fn)
        : where !== undefined
          ? this.containers.find((c) => c.id === where && !c.dead)
          : undefined;
    const container = chosen ?? this.containerFor(fn);
    const timeoutMs = FUNCTIONS[FUNCTION_KEYS[fn]].timeoutSeconds * 1000;
    const invocation: Invocation = {
      id: this.invocations.length + 1,
      fn,
      operation,
      input,
      container: container.id,
      startedAt: this.now,
      deadline: this.now + timeoutMs,
    };
    this.invocations.push(invocation);
    container.running++;
    this.log(`#${invocation.id} ${operation} ${JSON.stringify(input)} in ${container.id}`);
    const remainingMs = (): number => Math.max(0, invocation.deadline - this.now);
    return new Promise((resolve) => {
      this.waiting.set(invocation.id, () => {
        this.waiting.delete(invocation.id);
        resolve(invocation);
      });
      const timer = this.scheduler.at(timeoutMs, () => {
        if (invocation.answeredAt !== undefined || invocation.crashed !== undefined) return;
        this.violation(`#${invocation.id} ${operation} did not answer within its function's ${timeoutMs / 1000} s`);
        this.kill(container, 'timeout');
      });
      const done = (): void => {
        timer.cancel();
        container.running--;
        this.waiting.get(invocation.id)?.();
      };
      const run = (): Promise<SimAnswer | SimCallbackOutcome> => {
        const f = container.functions;
        switch (operation) {
          case 'connect':
            return f.connect(input, remainingMs);
          case 'callback':
            return f.callback(input as Record<string, string>, remainingMs);
          case 'token-fetch':
            return f.tokenFetch(input, remainingMs);
          case 'refresh':
            return f.refresh(input, remainingMs);
          case 'revoke':
            return f.revoke(input, remainingMs);
          case 'sweep':
            return f.sweep(remainingMs);
          case 'complete':
            return f.complete(input, remainingMs);
          default:
            throw new Error(`unknown operation ${operation}`);
        }
      };
      run().then(
        (answer) => {
          if (this.scheduler.isDead(container.id)) return;
          invocation.answer = answer;
          invocation.answeredAt = this.now;
          this.answered.push(invocation);
          this.log(`#${invocation.id} answers ${summarize(answer)}`);
          done();
        },
        (error: unknown) => {
          if (this.scheduler.isDead(container.id)) return;
          invocation.threw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          invocation.answeredAt = this.now;
          this.violation(`#${invocation.id} ${operation} threw ${invocation.threw} instead of answering`);
          done();
        },
      );
    });
  }
}

function summarize(answer: SimAnswer | SimCallbackOutcome): string {
  const a = answer as Record<string, unknown>;
  if ('status' in a && !('ok' in a)) return `${String(a.status)}${typeof a.error === 'string' ? ` ${a.error}` : ''}`;
  if (a.ok === true) {
    if (typeof a.accessToken === 'string') return `ok ${a.accessToken} until ${String(a.expiresAt)}`;
    return `ok ${JSON.stringify(Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'ok' && k !== 'authorizationUrl')))}`;
  }
  const error = a.error as { code?: string; retryAfterSeconds?: number } | undefined;
  return `error ${error?.code ?? '?'}${error?.retryAfterSeconds ? ` retryAfter=${error.retryAfterSeconds}` : ''}`;
}
