/**
 * Time as the core sees it: the current time, waiting, and timeouts. Injected everywhere so that the
 * deterministic simulation can run the real core on virtual time.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
  /** An AbortSignal that aborts with a `TimeoutError` after `ms`. */
  timeoutSignal(ms: number): AbortSignal;
}

/** Largest difference assumed between two containers' clocks (defined with the shared time constants). */
export { CLOCK_SKEW_MS } from '../../../src/definitions/time';

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  timeoutSignal: (ms) => AbortSignal.timeout(Math.max(0, Math.floor(ms))),
};
