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

export interface RefresherOptions {
  readonly connections: ConnectionStore;
  readonly leases: LeaseStore;
  readonly pending: PendingRevocations;
  readonly sealer: TokenSealer;
  readonly provider: ProviderGateway;
  readonly timing: RefreshTiming;
  /** Due time of the `refresh-due` index: this long before expiry (never before half the lifetime). */
  readonly marginMs: number;
  /** Cool-down after a failed refresh (a provider's Retry-After may lengthen it). */
  readonly cooldownMs: number;
  /** The proactive policy and the keep-alive track: the due time each commit stores. @default every connection ahead of expiry */
  readonly schedule?: RefreshSchedule;
  readonly clock: Clock;
  readonly random: () => number;
  readonly metrics?: VaultMetrics;
  readonly logger?: VaultLogger;
  /** Lifecycle events, decided only after the write that makes the change committed. */
  readonly events?: EventPublisher;
}
