/**
 * The time budget of one invocation. Built from Lambda's `context.getRemainingTimeInMillis()` minus a reserve
 * for shaping and returning the answer, it is handed to every step, and every step asks it before starting
 * anything that could outlive it: an AWS call gets an abort signal at the deadline, a provider attempt starts
 * only when the attempt and the write that follows fit, a waiter stops waiting in time to answer.
 */
import type { Clock } from './clock';

import { ANSWER_RESERVE_MS } from '../../../src/definitions/time';

/** Kept back from the function's remaining time to shape and return the answer. */
export { ANSWER_RESERVE_MS };

export class Deadline {
  private constructor(
    /** Epoch milliseconds by which the core must have its answer. */
    readonly at: number,
    readonly clock: Clock,
  ) {}

  /** The deadline of an invocation with `remainingMs` left (Lambda's `getRemainingTimeInMillis()`). */
  static fromRemaining(remainingMs: number, clock: Clock, reserveMs = ANSWER_RESERVE_MS): Deadline {
    return new Deadline(clock.now() + Math.max(0, remainingMs - reserveMs), clock);
  }

  /** A deadline at an absolute time. */
  static at(epochMs: number, clock: Clock): Deadline {
    return new Deadline(epochMs, clock);
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.at - this.clock.now());
  }

  /** Whether `ms` of work still fits. */
  allows(ms: number): boolean {
    return this.remaining() >= ms;
  }

  /** The earlier of this deadline and `ms` from now. */
  within(ms: number): Deadline {
    return new Deadline(Math.min(this.at, this.clock.now() + Math.max(0, ms)), this.clock);
  }

  /** Aborts at this deadline, or after `capMs` when that comes first. */
  signal(capMs = Number.POSITIVE_INFINITY): AbortSignal {
    return this.clock.timeoutSignal(Math.min(this.remaining(), capMs));
  }
}
