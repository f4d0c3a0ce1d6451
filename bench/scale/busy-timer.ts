/** Busy time of a kind of call: the time during which at least one is open (for calls that overlap). */
import { performance } from 'node:perf_hooks';

export class BusyTimer {
  private open = 0;
  private since = 0;
  ms = 0;

  async track<T>(call: () => Promise<T>): Promise<T> {
    if (this.open++ === 0) this.since = performance.now();
    try {
      return await call();
    } finally {
      if (--this.open === 0) this.ms += performance.now() - this.since;
    }
  }
}
