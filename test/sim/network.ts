/**
 * The wire between the code under test and the models: each call waits its injected latency, then the model
 * applies it (or not) and the answer comes back (or not). Four fates per call, decided by a fault policy:
 * - ok: applied after the latency, answered at once;
 * - error: refused after the latency, nothing applied (throttling, 5xx, 429, connection refused);
 * - stall: never applied, never answered (an endpoint that accepts and hangs);
 * - lost: applied after the latency, the answer never arrives (the caller can only time out).
 * A call whose latency exceeds the caller's timeout is applied late, after the caller gave up, as a request
 * already on the wire would be. Requests are applied even when the calling container has crashed meanwhile;
 * only the answer is dropped.
 *
 * AWS clients also model the SDK: a per-attempt request timeout (only when the configuration makes it fire),
 * retries of throttling, 5xx and timeouts with jittered backoff, and `abortSignal`.
 */
import { awsError } from './kms-model';
import type { ProviderModel } from './provider-model';
import { timeoutError, type Scheduler } from './scheduler';

export type Service = 'DynamoDB' | 'KMS' | 'SecretsManager' | 'Provider';

export interface CallInfo {
  readonly service: Service;
  readonly operation: string;
  readonly container: string;
  readonly attempt: number;
}

export type Fault =
  | { readonly kind: 'ok'; readonly latencyMs: number }
  | {
      readonly kind: 'error';
      readonly latencyMs: number;
      readonly name: string;
      readonly status?: number;
      readonly retryAfterSeconds?: number;
    }
  | { readonly kind: 'stall' }
  | { readonly kind: 'lost'; readonly latencyMs: number };

export interface FaultPolicy {
  decide(call: CallInfo): Fault;
}

/** What the network saw, for the invariants: which provider answers reached a live container. */
export class WireLog {
  /** Provider request id -> container that received its answer, and when. */
  readonly delivered = new Map<number, { container: string; at: number }>();
  /** Provider request id -> when it was sent. */
  readonly sentAt = new Map<number, number>();
  nextRequestId = 1;
  calls = 0;
  /** Set when a schedule is traced: one line per call and per outcome. */
  trace: ((line: string) => void) | undefined;
  /** Injected faults by container (errors, stalls, lost answers, calls slower than the SDK's timeout). */
  readonly faults: Array<{ readonly container: string; readonly service: Service; readonly at: number }> = [];
}

function describeFault(fault: Fault): string {
  return fault.kind === 'stall'
    ? 'stall'
    : fault.kind === 'error'
      ? `error ${fault.status ?? fault.name} after ${fault.latencyMs} ms`
      : `${fault.kind} after ${fault.latencyMs} ms`;
}

function describeInput(input: unknown): string {
  const i = input as Record<string, unknown>;
  if (i.TransactItems)
    return `[${(i.TransactItems as Array<Record<string, { Key?: unknown; Item?: Record<string, unknown> }>>).map((t) => Object.keys(t)[0]).join(',')}]`;
  const cond = typeof i.ConditionExpression === 'string' ? ` if ${i.ConditionExpression.slice(0, 60)}` : '';
  return `${typeof i.UpdateExpression === 'string' ? i.UpdateExpression.slice(0, 50) : ''}${cond}`;
}

export interface SdkSettings {
  /** Per-attempt timeout, or undefined when the SDK configuration never enforces one. */
  readonly requestTimeoutMs: number | undefined;
  readonly maxAttempts: number;
}

const RETRYABLE_AWS = new Set([
  'TimeoutError',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'KMSInternalException',
  'InternalServiceError',
]);

function abortError(): Error {
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  return error;
}

interface SimCommand {
  readonly constructor: { readonly name: string };
  readonly input: unknown;
}

/**
 * A stand-in for an AWS SDK v3 client (`send(command, { abortSignal })`), duck-typed enough for Powertools
 * Parameters to accept it as one.
 */
export class SimAwsClient {
  /** Read by Powertools' client check; nothing in it is used. */
  readonly config = {};
  readonly middlewareStack = {
    identify: (): string[] => [],
    addRelativeTo: (): void => undefined,
    add: (): void => undefined,
  };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly faults: FaultPolicy,
    private readonly wire: WireLog,
    readonly service: Exclude<Service, 'Provider'>,
    private readonly container: string,
    private readonly sdk: SdkSettings,
    private readonly apply: (command: SimCommand) => unknown,
  ) {}

  async send(command: SimCommand, options: { abortSignal?: AbortSignal } = {}): Promise<never> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.attempt(command, attempt, options.abortSignal)) as never;
      } catch (error) {
        const name = (error as Error).name;
        if (!RETRYABLE_AWS.has(name) || attempt + 1 >= this.sdk.maxAttempts || options.abortSignal?.aborted)
          throw error;
        // The SDK's standard retry strategy: full jitter over an exponential base of 100 ms, capped at 20 s.
        const backoff = Math.floor(this.scheduler.rng.next() * Math.min(20_000, 100 * 2 ** (attempt + 1)));
        await this.scheduler.sleep(backoff, this.container);
      }
    }
  }

  destroy(): void {}

  private attempt(command: SimCommand, attempt: number, signal: AbortSignal | undefined): Promise<unknown> {
    const operation = command.constructor.name.replace(/Command$/, '');
    const fault = this.faults.decide({ service: this.service, operation, container: this.container, attempt });
    this.wire.calls++;
    if (
      fault.kind !== 'ok' ||
      (this.sdk.requestTimeoutMs !== undefined && fault.latencyMs > this.sdk.requestTimeoutMs)
    ) {
      this.wire.faults.push({ container: this.container, service: this.service, at: this.scheduler.now });
    }
    const trace = this.wire.trace;
    trace?.(
      `${this.container} -> ${this.service}.${operation} ${describeInput(command.input)} (${describeFault(fault)}${attempt > 0 ? `, attempt ${attempt + 1}` : ''})`,
    );
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: { cancel(): void } | undefined;
      const onAbort = (): void => settle(() => reject(abortError()));
      const settle = (fn: () => void): void => {
        if (settled || this.scheduler.isDead(this.container)) return;
        settled = true;
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      if (signal?.aborted) return settle(() => reject(abortError()));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.sdk.requestTimeoutMs !== undefined) {
        timer = this.scheduler.at(
          this.sdk.requestTimeoutMs,
          () => settle(() => reject(awsError('TimeoutError', 'Request timed out'))),
          this.container,
        );
      }
      switch (fault.kind) {
        case 'ok':
        case 'lost':
          // Not owned by the container: a request on the wire reaches the service even if its sender died.
          this.scheduler.at(fault.latencyMs, () => {
            let result: unknown;
            let failure: unknown;
            try {
              result = this.apply(command);
            } catch (error) {
              failure = error;
            }
            trace?.(
              `   ${this.service}.${operation} of ${this.container} applied: ${failure === undefined ? 'ok' : (failure as Error).name}${fault.kind === 'lost' ? ' (answer lost)' : ''}${settled ? ' (caller gone)' : ''}`,
            );
            if (fault.kind === 'lost') return;
            settle(() =>
              failure === undefined
                ? resolve(result)
                : reject(failure instanceof Error ? failure : new Error('model failure')),
            );
          });
          break;
        case 'error':
          this.scheduler.at(fault.latencyMs, () =>
            settle(() => reject(awsError(fault.name, `${fault.name} (injected)`))),
          );
          break;
        case 'stall':
          break;
      }
    });
  }
}

/**
 * A `fetch` that talks to the provider model. `impliedTimeoutMs` stands in for a client timeout that uses real
 * timers (AbortSignal.timeout) and so cannot see virtual time.
 */
export function providerFetch(
  scheduler: Scheduler,
  faults: FaultPolicy,
  wire: WireLog,
  provider: ProviderModel,
  container: string,
  impliedTimeoutMs?: number,
): typeof fetch {
  return (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const body = typeof init.body === 'string' ? init.body : '';
    const requestId = wire.nextRequestId++;
    wire.sentAt.set(requestId, scheduler.now);
    const operation = new URL(url).pathname === '/revoke' ? 'revoke' : 'token';
    const fault = faults.decide({ service: 'Provider', operation, container, attempt: 0 });
    wire.calls++;
    const fields = Object.fromEntries(new URLSearchParams(body));
    wire.trace?.(
      `${container} -> Provider.${operation} #${requestId} ${fields.grant_type ?? ''} ${fields.refresh_token ?? fields.token ?? fields.code ?? ''} (${describeFault(fault)})`,
    );
    const signal = init.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let timer: { cancel(): void } | undefined;
      const settle = (fn: () => void): void => {
        if (settled || scheduler.isDead(container)) return;
        settled = true;
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = (): void => settle(() => reject(signal?.reason instanceof Error ? signal.reason : abortError()));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (impliedTimeoutMs !== undefined)
        timer = scheduler.at(impliedTimeoutMs, () => settle(() => reject(timeoutError())), container);
      switch (fault.kind) {
        case 'ok':
        case 'lost':
          scheduler.at(fault.latencyMs, () => {
            const answer = provider.handle({ url, headers, body, requestId });
            wire.trace?.(
              `   Provider #${requestId} answered ${answer.status} ${[answer.body.error, answer.body.refresh_token, answer.body.access_token].find((v) => typeof v === 'string') ?? ''}${fault.kind === 'lost' ? ' (answer lost)' : ''}${settled ? ' (caller gone)' : ''}`,
            );
            if (fault.kind === 'lost') return;
            settle(() => {
              wire.delivered.set(requestId, { container, at: scheduler.now });
              resolve(
                new Response(JSON.stringify(answer.body), {
                  status: answer.status,
                  headers: { 'content-type': 'application/json' },
                }),
              );
            });
          });
          break;
        case 'error':
          scheduler.at(fault.latencyMs, () =>
            settle(() => {
              if (fault.status === undefined) {
                // A connection that failed before anything was sent (undici's shape: TypeError with a coded cause).
                reject(
                  Object.assign(new TypeError('fetch failed'), {
                    cause: Object.assign(new Error(fault.name), { code: fault.name }),
                  }),
                );
                return;
              }
              const retryAfter: Record<string, string> =
                fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
              const errorBody = fault.status === 429 ? { error: 'rate_limited' } : { error: 'temporarily_unavailable' };
              resolve(
                new Response(JSON.stringify(errorBody), {
                  status: fault.status,
                  headers: { 'content-type': 'application/json', ...retryAfter },
                }),
              );
            }),
          );
          break;
        case 'stall':
          break;
      }
    });
  };
}

/** Faults drawn from the schedule's seed with per-schedule rates. */
export class RandomFaults implements FaultPolicy {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly rates: {
      /** Typical latency of AWS calls and of the provider, in ms. */
      readonly awsLatencyMs: number;
      readonly providerLatencyMs: number;
      /** Probability that a call is slow (latency x 20 to x 400). */
      readonly slow: number;
      readonly error: number;
      readonly stall: number;
      readonly lost: number;
    },
  ) {}

  decide(call: CallInfo): Fault {
    const rng = this.scheduler.rng;
    const base = call.service === 'Provider' ? this.rates.providerLatencyMs : this.rates.awsLatencyMs;
    let latencyMs = Math.max(1, Math.round(base * (0.5 + rng.next())));
    if (rng.chance(this.rates.slow)) latencyMs *= rng.int(20, 400);
    const roll = rng.next();
    const r = this.rates;
    if (roll < r.stall) return { kind: 'stall' };
    if (roll < r.stall + r.lost) return { kind: 'lost', latencyMs };
    if (roll < r.stall + r.lost + r.error) {
      if (call.service === 'Provider') {
        const which = rng.int(0, 2);
        if (which === 0) return { kind: 'error', latencyMs, name: 'http', status: 503 };
        if (which === 1)
          return { kind: 'error', latencyMs, name: 'http', status: 429, retryAfterSeconds: rng.int(1, 60) };
        return { kind: 'error', latencyMs, name: 'ECONNREFUSED' };
      }
      const names = {
        DynamoDB: ['ProvisionedThroughputExceededException', 'InternalServerError'],
        KMS: ['ThrottlingException', 'KMSInternalException'],
        SecretsManager: ['InternalServiceError', 'ThrottlingException'],
      } as const;
      return { kind: 'error', latencyMs, name: rng.pick(names[call.service]) };
    }
    return { kind: 'ok', latencyMs };
  }
}

/**
 * A fixed script of faults for regression scenarios: rules matched in order; a rule skips its first `after`
 * matching calls, then applies to the next `times`. A rule can be armed later (`enabled: false` until armed).
 */
export class ScriptedFaults implements FaultPolicy {
  private readonly rules: Array<{
    match: Partial<CallInfo>;
    fault: Fault;
    times: number;
    after: number;
    armed: boolean;
    name?: string;
  }> = [];

  constructor(private readonly fallback: FaultPolicy) {}

  add(
    match: Partial<CallInfo>,
    fault: Fault,
    options: { times?: number; after?: number; name?: string; armed?: boolean } = {},
  ): this {
    this.rules.push({
      match,
      fault,
      times: options.times ?? 1,
      after: options.after ?? 0,
      armed: options.armed ?? true,
      ...(options.name ? { name: options.name } : {}),
    });
    return this;
  }

  /** Arms the rules added with `armed: false` under this name. */
  arm(name: string): void {
    for (const rule of this.rules) if (rule.name === name) rule.armed = true;
  }

  decide(call: CallInfo): Fault {
    for (const rule of this.rules) {
      if (rule.times <= 0 || !rule.armed) continue;
      const matches = Object.entries(rule.match).every(([k, v]) =>
        k === 'container' ? call.container.startsWith(String(v)) : call[k as keyof CallInfo] === v,
      );
      if (!matches) continue;
      if (rule.after > 0) {
        rule.after--;
        continue;
      }
      rule.times--;
      return rule.fault;
    }
    return this.fallback.decide(call);
  }
}

/** Every call answers after a fixed latency: the quiet network of scripted scenarios. */
export class QuietNetwork implements FaultPolicy {
  constructor(private readonly latencyMs = 5) {}
  decide(): Fault {
    return { kind: 'ok', latencyMs: this.latencyMs };
  }
}
