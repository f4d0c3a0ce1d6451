/**
 * The simulation's virtual time. Every wait of the code under test (an AWS call, a provider call, a sleep, a
 * timeout) is an event on one queue ordered by virtual time; the loop takes the earliest, runs it, and lets the
 * microtasks it released run to completion before taking the next. Nothing else advances time, so a run is a
 * pure function of its seed: the same seed gives the same schedule, step for step.
 *
 * Containers can crash: their pending events are dropped and their promises never settle, as when Lambda kills
 * an execution environment at any `await`.
 */

/** A seeded pseudo-random generator (xorshift128+ on two 32-bit halves; fast, good enough for schedules). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 to spread small seeds over the whole state.
    const mix = (): number => {
      seed = (seed + 0x9e3779b9) | 0;
      let z = seed;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
  }

  /** Uniform in [0, 1) (sfc32). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly owner: string | undefined;
  readonly run: () => void;
  cancelled: boolean;
  /** A timeout that usually finds nothing to abort: not counted as a step. */
  readonly quiet: boolean;
}

/** A binary heap of events by (time, insertion order): ties keep the order they were scheduled in. */
class EventQueue {
  private readonly heap: Event[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(event: Event): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  pop(): Event | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
    return top;
  }
}

function before(x: Event, y: Event): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** Lets every microtask that is ready run before the next event (setImmediate runs after the microtask queue). */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The error a virtual timeout signal aborts with: the same name as `AbortSignal.timeout`'s. */
export function timeoutError(): Error {
  const error = new Error('The operation was aborted due to timeout');
  error.name = 'TimeoutError';
  return error;
}

export class Scheduler {
  /** Virtual epoch milliseconds. */
  now: number;
  readonly rng: Rng;
  private readonly queue = new EventQueue();
  private seq = 0;
  private readonly dead = new Set<string>();
  /** Events run so far. */
  steps = 0;

  constructor(seed: number, start = Date.UTC(2026, 0, 1)) {
    this.rng = new Rng(seed);
    this.now = start;
  }

  /** Runs `fn` after `delayMs` of virtual time, unless its owner (a container id) has crashed by then. */
  at(delayMs: number, fn: () => void, owner?: string, quiet = false): { cancel(): void } {
    const event: Event = {
      at: this.now + Math.max(0, delayMs),
      seq: this.seq++,
      owner,
      run: fn,
      cancelled: false,
      quiet,
    };
    this.queue.push(event);
    return { cancel: () => void (event.cancelled = true) };
  }

  /** A promise that settles after `ms` of virtual time (never, if the owner crashes first). */
  sleep(ms: number, owner?: string): Promise<void> {
    return new Promise((resolve) => this.at(ms, resolve, owner));
  }

  /** An AbortSignal that aborts after `ms` of virtual time, like `AbortSignal.timeout`. */
  timeoutSignal(ms: number, owner?: string): AbortSignal {
    const controller = new AbortController();
    if (ms <= 0) controller.abort(timeoutError());
    else this.at(ms, () => controller.abort(timeoutError()), owner, true);
    return controller.signal;
  }

  /** Crashes an owner: its pending and future events never run. */
  kill(owner: string): void {
    this.dead.add(owner);
  }

  isDead(owner: string | undefined): boolean {
    return owner !== undefined && this.dead.has(owner);
  }

  /**
   * Runs events until the queue is empty, virtual time passes `until`, or `stop()` says so. `afterEach` runs after
   * every event once its microtasks have settled (where the invariants are checked).
   */
  async run(options: { until: number; maxSteps: number; afterEach?: () => void; stop?: () => boolean }): Promise<void> {
    await drain();
    options.afterEach?.();
    while (this.queue.size > 0 && this.steps < options.maxSteps) {
      if (options.stop?.()) return;
      const event = this.queue.pop()!;
      if (event.cancelled || this.isDead(event.owner)) continue;
      if (event.at > options.until) {
        this.queue.push(event);
        return;
      }
      this.now = event.at;
      if (!event.quiet) this.steps++;
      event.run();
      await drain();
      options.afterEach?.();
    }
  }
}
