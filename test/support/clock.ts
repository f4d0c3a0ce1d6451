/**
 * A virtual clock for the core's unit tests: time moves only when the test says so, sleeps resolve when it has
 * moved far enough, and timeout signals abort then (with a `TimeoutError`, like `AbortSignal.timeout`).
 */
import type { Clock } from '@token-vault/cdk/functions/core/time/clock';

interface Timer {
  readonly at: number;
  readonly fire: () => void;
}

export class ManualClock implements Clock {
  private timers: Timer[] = [];

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }

  timeoutSignal(ms: number): AbortSignal {
    const controller = new AbortController();
    const abort = (): void => {
      const error = new Error('The operation was aborted due to timeout');
      error.name = 'TimeoutError';
      controller.abort(error);
    };
    if (ms <= 0) abort();
    else this.schedule(ms, abort);
    return controller.signal;
  }

  /** Moves time forward by `ms`, firing every sleep and timeout that falls due on the way, in order. */
  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.fire();
    }
    this.current = until;
  }

  private schedule(ms: number, fire: () => void): void {
    this.timers.push({ at: this.current + Math.max(0, ms), fire });
  }
}
