/**
 * The refresh a caller starts (taking the lease at the version it read) or joins (another caller's in this
 * container, awaited only within its own deadline).
 */
import { randomUUID } from 'node:crypto';
import { MESSAGES, VaultError } from '../errors';
import type { ActiveConnection, Connection, Lease } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { RefreshCoordinatorOptions } from './coordinator-options';
import { triggerOf, type RefreshDemand } from './demand';
import { unavailable, type RefreshOutcome } from './outcome';

/** Starts a refresh under a newly taken lease, or waits for a joined one. */
export class RefreshFlight {
  constructor(
    private readonly o: RefreshCoordinatorOptions,
    /** Lease owner prefix of this container. */
    private readonly ownerId: string,
  ) {}

  /**
   * Another caller's refresh, awaited only until this caller must answer: its outcome then is "unavailable"
   * (nothing may be served: this caller's last read is older than that refresh's calls).
   */
  withinOwnDeadline(work: Promise<RefreshOutcome>, deadline: Deadline): Promise<RefreshOutcome> {
    const signal = deadline.within(deadline.remaining() - 3 * this.o.timing.awsCallMs).signal();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => resolve({ kind: 'failed', error: unavailable() });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Takes the lease at the version read and refreshes under it (one flight per version in this container). */
  async refreshVersion(active: ActiveConnection, demand: RefreshDemand, deadline: Deadline): Promise<RefreshOutcome> {
    // One owner id per acquisition, not per container: the commit is fenced on it, so a write from an acquisition
    // whose lease ran out can never pass for a later one's (even in this container).
    const owner = `${this.ownerId}/${randomUUID()}`;
    let lease: Lease | undefined;
    let failure: unknown;
    try {
      lease = await this.o.leases.acquire(active, owner, this.o.timing.leaseMs, deadline);
    } catch (error) {
      failure = error;
    }
    if (!lease) {
      // A lost answer surfaces as an error, or (when the SDK's retry met our own write) as a conflict: read back,
      // and our own owner id on the item means we hold the lease.
      let current: Connection | undefined;
      try {
        current = await this.o.connections.get(active, deadline);
      } catch (error) {
        return {
          kind: 'failed',
          error: new VaultError('internal_error', MESSAGES.internal, { cause: failure ?? error }),
        };
      }
      if (current?.status !== 'active' || current.version !== active.version || current.lease?.owner !== owner)
        return { kind: 'moved', current };
      lease = current.lease;
    }
    return this.o.refresher.run(active, lease, triggerOf(demand), deadline);
  }
}
