/**
 * The time model of a refresh, and the rules that keep it inside the lease and inside the function's time.
 *
 * A refresh is: take the lease (one AWS call), prepare (open the refresh token, make the next data key, read
 * the client secret: AWS calls in parallel), one provider attempt, and the write of the new tokens (one AWS
 * call). Every AWS call is bounded by `awsCallMs` (SDK retries included) and every provider attempt by
 * `providerTimeoutMs`. From these:
 * - a provider attempt starts only while the lease still covers the attempt, the write and the clock skew
 *   between containers ({@link attemptNeedsMs}); the holder extends the lease first when it does not; and only
 *   while the invocation's own time covers the attempt and the write ({@link attemptTimeMs});
 * - a caller starts a refresh (or takes over an expired lease) only when its own remaining time covers a
 *   whole refresh ({@link wholeRefreshMs}), so no refresh is ever cut off by the function's timeout;
 * - {@link timingProblems} refuses any configuration in which these rules cannot hold.
 */

import { CLOCK_SKEW_MS } from './time';

export { CLOCK_SKEW_MS };
/** Provider attempts per refresh, the first included (only failures that surely did not consume the token are retried). */
export const PROVIDER_ATTEMPTS = 3;

export interface RefreshTiming {
  /** One provider HTTP attempt. */
  readonly providerTimeoutMs: number;
  /** One AWS call (DynamoDB, KMS, Secrets Manager), SDK retries included. */
  readonly awsCallMs: number;
  /** Length of a refresh lease, and of each extension. */
  readonly leaseMs: number;
}

/** What one provider attempt needs of the lease: the attempt, the write after it, and the clock skew. */
export function attemptNeedsMs(t: RefreshTiming): number {
  return attemptTimeMs(t) + CLOCK_SKEW_MS;
}

/**
 * What one provider attempt needs of the invocation's own time: the attempt and the write after it. No skew: the
 * deadline is judged on one clock only (the lease is judged on other containers' too, hence its allowance).
 */
export function attemptTimeMs(t: RefreshTiming): number {
  return t.providerTimeoutMs + t.awsCallMs;
}

/** A whole refresh from taking the lease to the written tokens. */
export function wholeRefreshMs(t: RefreshTiming): number {
  return 3 * t.awsCallMs + t.providerTimeoutMs;
}

/** Function timeouts the rules are checked against, in milliseconds. */
export interface FunctionTimeouts {
  readonly tokenFetchMs: number;
  readonly refreshMs: number;
  readonly callbackMs: number;
  readonly revokeMs: number;
  /** The refresh worker (one batch: every record starts at once, each a whole refresh). */
  readonly refreshWorkerMs: number;
  /** Visibility timeout of the refresh work queue. */
  readonly queueVisibilityMs: number;
}

export interface TimingProblem {
  /** The setting to change. */
  readonly setting: keyof RefreshTiming | 'functionTimeout' | 'queueVisibility';
  readonly message: string;
}

/** Every rule the configuration breaks (empty when the time model holds). `reserveMs`: kept back for the answer. */
export function timingProblems(t: RefreshTiming, timeouts: FunctionTimeouts, reserveMs: number): TimingProblem[] {
  const problems: TimingProblem[] = [];
  const leaseNeeds = t.awsCallMs + attemptNeedsMs(t);
  if (t.leaseMs < leaseNeeds) {
    problems.push({
      setting: 'leaseMs',
      message: `the refresh lease (${t.leaseMs} ms) must cover the preparation, one provider attempt, the write and the clock skew: at least ${leaseNeeds} ms`,
    });
  }
  const fetchNeeds = t.awsCallMs + wholeRefreshMs(t) + reserveMs;
  for (const [name, timeout] of [
    ['token-fetch', timeouts.tokenFetchMs],
    ['refresh', timeouts.refreshMs],
    ['refresh-worker', timeouts.refreshWorkerMs],
  ] as const) {
    if (timeout < fetchNeeds)
      problems.push({
        setting: 'functionTimeout',
        message: `${name}'s timeout (${timeout} ms) must cover a read and a whole refresh: at least ${fetchNeeds} ms`,
      });
  }
  // State, secret, exchange, data key, previous connection (and its refresh token when the answer has none), save.
  const callbackNeeds = 6 * t.awsCallMs + t.providerTimeoutMs + reserveMs;
  if (timeouts.callbackMs < callbackNeeds)
    problems.push({
      setting: 'functionTimeout',
      message: `callback's timeout (${timeouts.callbackMs} ms) must cover the code exchange and its writes: at least ${callbackNeeds} ms`,
    });
  // Read, revoke transaction, refresh token, secret, provider, confirmation.
  const revokeNeeds = 5 * t.awsCallMs + t.providerTimeoutMs + reserveMs;
  if (timeouts.revokeMs < revokeNeeds)
    problems.push({
      setting: 'functionTimeout',
      message: `revoke's timeout (${timeouts.revokeMs} ms) must cover one revocation: at least ${revokeNeeds} ms`,
    });
  // A worker that dies holding a lease must have lost it before its message comes back: the lease (and each
  // extension) ends within the worker's timeout, and the message stays invisible at least that long.
  if (t.leaseMs > timeouts.refreshWorkerMs)
    problems.push({
      setting: 'leaseMs',
      message: `the refresh lease (${t.leaseMs} ms) must end within the refresh worker's timeout (${timeouts.refreshWorkerMs} ms)`,
    });
  if (timeouts.queueVisibilityMs < timeouts.refreshWorkerMs) {
    problems.push({
      setting: 'queueVisibility',
      message: `the refresh queue's visibility timeout (${timeouts.queueVisibilityMs} ms) must be at least the refresh worker's timeout (${timeouts.refreshWorkerMs} ms)`,
    });
  }
  return problems;
}
