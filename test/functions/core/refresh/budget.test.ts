/**
 * The time model of a refresh alone (packages/cdk/functions/core/refresh/budget.ts, defined with the shared
 * definitions): what one attempt and a whole refresh need, and each rule `timingProblems` enforces, named by the
 * setting to change.
 */
import {
  CLOCK_SKEW_MS,
  attemptNeedsMs,
  timingProblems,
  wholeRefreshMs,
  type FunctionTimeouts,
  type RefreshTiming,
} from '@token-vault/cdk/functions/core/refresh/budget';

const timing: RefreshTiming = { providerTimeoutMs: 5_000, awsCallMs: 2_000, leaseMs: 25_000 };
const RESERVE_MS = 300;
/** Roomy timeouts: every rule holds. */
const timeouts: FunctionTimeouts = {
  tokenFetchMs: 60_000,
  refreshMs: 60_000,
  callbackMs: 60_000,
  revokeMs: 60_000,
  refreshWorkerMs: 60_000,
  queueVisibilityMs: 60_000,
};
const settings = (t: RefreshTiming, f: FunctionTimeouts = timeouts) =>
  timingProblems(t, f, RESERVE_MS).map((p) => p.setting);

describe('the time model', () => {
  it('an attempt needs the provider call, the write after it and the clock skew', () => {
    expect(attemptNeedsMs(timing)).toBe(5_000 + 2_000 + CLOCK_SKEW_MS);
  });

  it('a whole refresh: lease, preparation, one attempt and the write', () => {
    expect(wholeRefreshMs(timing)).toBe(3 * 2_000 + 5_000);
  });

  it('holds with roomy timeouts', () => {
    expect(timingProblems(timing, timeouts, RESERVE_MS)).toEqual([]);
  });

  it('the lease must cover the preparation and one attempt, exactly at the bound', () => {
    const needs = timing.awsCallMs + attemptNeedsMs(timing);
    expect(settings({ ...timing, leaseMs: needs })).toEqual([]);
    expect(settings({ ...timing, leaseMs: needs - 1 })).toEqual(['leaseMs']);
  });

  it('token-fetch, refresh and the worker must each fit a read and a whole refresh', () => {
    const needs = timing.awsCallMs + wholeRefreshMs(timing) + RESERVE_MS;
    expect(settings(timing, { ...timeouts, tokenFetchMs: needs })).toEqual([]);
    const problems = timingProblems(timing, { ...timeouts, tokenFetchMs: needs - 1, refreshMs: needs - 1 }, RESERVE_MS);
    expect(problems.map((p) => p.message)).toEqual([
      `token-fetch's timeout (${needs - 1} ms) must cover a read and a whole refresh: at least ${needs} ms`,
      `refresh's timeout (${needs - 1} ms) must cover a read and a whole refresh: at least ${needs} ms`,
    ]);
  });

  it('the callback and revoke must fit their AWS calls and one provider call', () => {
    const callback = 6 * timing.awsCallMs + timing.providerTimeoutMs + RESERVE_MS;
    const revoke = 5 * timing.awsCallMs + timing.providerTimeoutMs + RESERVE_MS;
    expect(settings(timing, { ...timeouts, callbackMs: callback, revokeMs: revoke })).toEqual([]);
    expect(settings(timing, { ...timeouts, callbackMs: callback - 1, revokeMs: revoke - 1 })).toEqual([
      'functionTimeout',
      'functionTimeout',
    ]);
  });

  it("a lease must end within the worker's timeout, and the queue must hide a message at least that long", () => {
    expect(settings({ ...timing, leaseMs: 61_000 })).toEqual(['leaseMs']);
    expect(settings(timing, { ...timeouts, queueVisibilityMs: 59_999 })).toEqual(['queueVisibility']);
  });
});
