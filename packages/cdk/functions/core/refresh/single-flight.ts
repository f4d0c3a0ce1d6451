/**
 * In-container single flight: concurrent callers asking for the same work share one promise. (Lambda runs one
 * invocation per container, so this matters where one process serves many callers: the local stack, the
 * caller library.) Callers get the shared outcome and judge it against their own demand; a caller that joined
 * another's work waits for it only within its own deadline (the work is bounded by its starter's).
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  constructor(private readonly enabled = true) {}

  run(key: string, work: () => Promise<T>): { readonly promise: Promise<T>; readonly joined: boolean } {
    if (!this.enabled) return { promise: work(), joined: false };
    const existing = this.inflight.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = work().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return { promise, joined: false };
  }
}
