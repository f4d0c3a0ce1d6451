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

export interface RefreshCoordinatorOptions {
  readonly connections: ConnectionStore;
  readonly leases: LeaseStore;
  readonly sealer: TokenSealer;
  readonly refresher: Refresher;
  readonly timing: RefreshTiming;
  readonly policy: CoordinatorPolicy;
  /** The proactive policy and the keep-alive track. @default every connection ahead of expiry (no use marks) */
  readonly schedule?: RefreshSchedule;
  readonly clock: Clock;
  readonly random: () => number;
  /** Lease owner prefix of this container. @default a random UUID */
  readonly ownerId?: string;
  /** Share one refresh among concurrent callers of this container (off only for the benchmark). @default true */
  readonly coalesce?: boolean;
  readonly metrics?: VaultMetrics;
  readonly logger?: VaultLogger;
  /** Lifecycle events, decided only after the write that makes the change committed. */
  readonly events?: EventPublisher;
}
