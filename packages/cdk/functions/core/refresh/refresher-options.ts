/**
 * What the refresher works with: the stores, the sealer, the provider, its timing and its tunables.
 */
import type { TokenSealer } from '../crypto/token-sealer';
import type { EventPublisher } from '../events/publisher';
import type { VaultLogger, VaultMetrics } from '../observability';
import type { ConnectionStore } from '../store/connection-store';
import type { LeaseStore } from '../store/lease-store';
import type { PendingRevocations } from '../store/pending-revocations';
import type { Clock } from '../time/clock';
import type { RefreshTiming } from './budget';
import type { ProviderGateway } from './provider-gateway';
import type { RefreshSchedule } from './schedule';

/** The refresher's dependencies and tunables. */
export interface RefresherOptions {
  /** The connections table: read-backs after a lost write, the mark of a dead refresh token. */
  readonly connections: ConnectionStore;
  /** The refresh lease: extended before an attempt, committed over with the new tokens, released on failure. */
  readonly leases: LeaseStore;
  /** Where a rotated refresh token that can't be stored is left for the sweep to revoke. */
  readonly pending: PendingRevocations;
  /** Opens the stored refresh token and seals the provider's answer. */
  readonly sealer: TokenSealer;
  /** The provider's token and revocation endpoints, and the client secret. */
  readonly provider: ProviderGateway;
  /** The time one AWS call, one provider call and one lease may take. */
  readonly timing: RefreshTiming;
  /** Due time of the `refresh-due` index: this long before expiry (never before half the lifetime). */
  readonly marginMs: number;
  /** Cool-down after a failed refresh (a provider's Retry-After may lengthen it). */
  readonly cooldownMs: number;
  /**
   * The proactive policy and the keep-alive track: the due time each commit stores.
   * @default - every connection ahead of expiry (`RefreshSchedule.all(marginMs)`)
   */
  readonly schedule?: RefreshSchedule;
  /** The clock every lease and cool-down is measured on, and the sleeps between attempts. */
  readonly clock: Clock;
  /** Jitter of the backoffs, in [0, 1). */
  readonly random: () => number;
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
