/**
 * What the refresh coordinator works with and hands out: its options, its policy, and the token it issues.
 */
import type { TokenSealer } from '../crypto/token-sealer';
import type { EventPublisher } from '../events/publisher';
import type { VaultLogger, VaultMetrics } from '../observability';
import type { ConnectionStore } from '../store/connection-store';
import type { LeaseStore } from '../store/lease-store';
import type { Clock } from '../time/clock';
import type { RefreshTiming } from './budget';
import type { Refresher } from './refresher';
import type { RefreshSchedule } from './schedule';

/** An access token as handed to callers. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly scope: string;
}

/** When the coordinator refreshes, and how long its callers wait. */
export interface CoordinatorPolicy {
  /** Refresh this long before expiry (never before half the token's lifetime). */
  readonly marginMs: number;
  /** How long a caller waits for another container's refresh. */
  readonly waitMs: number;
  /**
   * Within this long of a forced refresh, another one of its token is not made: a token rejected right after a
   * forced refresh issued it is not cured by another (an API answering 401 to every token would otherwise cost one
   * provider refresh per call). The first forced refresh after a connect or a due refresh is always made.
   */
  readonly forcedRefreshMinIntervalMs: number;
}

/** The coordinator's dependencies and tunables. */
export interface RefreshCoordinatorOptions {
  /** The connections table: the deciding reads, the use mark, the mark of a dead refresh token. */
  readonly connections: ConnectionStore;
  /** The refresh lease, taken before a refresh. */
  readonly leases: LeaseStore;
  /** Opens the stored access token (a KMS call when its data key is not cached). */
  readonly sealer: TokenSealer;
  /** The work done under the lease. */
  readonly refresher: Refresher;
  /** The time one AWS call, one provider call and one lease may take. */
  readonly timing: RefreshTiming;
  /** When to refresh, and how long to wait for a peer's refresh. */
  readonly policy: CoordinatorPolicy;
  /**
   * The proactive policy and the keep-alive track.
   * @default - every connection ahead of expiry, no use marks (`RefreshSchedule.all(policy.marginMs)`)
   */
  readonly schedule?: RefreshSchedule;
  /** The clock leases, cool-downs and waits are measured on. */
  readonly clock: Clock;
  /** Jitter of the waiters' polls, in [0, 1). */
  readonly random: () => number;
  /**
   * Lease owner prefix of this container.
   * @default - a random UUID
   */
  readonly ownerId?: string;
  /**
   * Share one refresh among concurrent callers of this container (off only for the benchmark).
   * @default true
   */
  readonly coalesce?: boolean;
  /**
   * Where counts and latencies go.
   * @default - nothing is recorded
   */
  readonly metrics?: VaultMetrics;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
  /**
   * Lifecycle events, decided only after the write that makes the change committed.
   * @default - no events are published
   */
  readonly events?: EventPublisher;
}
