/**
 * In-container single flight: concurrent callers asking for the same work share one promise. (Lambda runs one
 * invocation per container, so this matters where one process serves many callers: the local stack, the
 * caller library.) Callers get the shared outcome and judge it against their own demand.
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  constructor(private readonly enabled = true) {}

  run(key: string, work: () => Promise<T>): Promise<T> {
    if (!this.enabled) return work();
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const promise = work().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }
}
