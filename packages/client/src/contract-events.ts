/**
 * The connection lifecycle events the vault puts on its EventBridge bus (docs/contract.md "Events"): source,
 * detail-types and the `detail` of each. Part of the contract; re-exported by contract.ts.
 */
import type { RevocationReason } from './contract-requests';

/** `source` of every event the vault puts on its bus. */
export const EVENT_SOURCE = 'token-vault';
/** The `detail.schemaVersion` this vault publishes. Additive fields keep it; anything else bumps it. */
export const EVENT_SCHEMA_VERSION = 1;
/** The `detail-type` of each connection lifecycle event. */
export const EVENT_DETAIL_TYPES = {
  connected: 'Connection Connected',
  refreshFailed: 'Connection Refresh Failed',
  reauthorizationRequired: 'Connection Reauthorization Required',
  recovered: 'Connection Recovered',
  revoked: 'Connection Revoked',
  providerRevocationConfirmed: 'Provider Revocation Confirmed',
} as const;
export type EventDetailType = (typeof EVENT_DETAIL_TYPES)[keyof typeof EVENT_DETAIL_TYPES];

/** Fields of every event's `detail` (schema version 1). Never token material. */
export interface EventDetailBase {
  readonly schemaVersion: 1;
  /** Unique per change, the same on the vault's own retries: deduplicate on it. */
  readonly eventId: string;
  /** The vault's name: several vaults may share one bus. */
  readonly vault: string;
  readonly userId: string;
  readonly applicationId: string;
  /** The connection instance (null when it is gone). */
  readonly connectionId: string | null;
  /** When the change was committed (ISO 8601). */
  readonly time: string;
}

export interface ConnectedDetail extends EventDetailBase {
  readonly via: 'callback' | 'import';
  /** The user had a connection of this application before (of any status). */
  readonly reconnected: boolean;
  readonly imported: boolean;
  readonly scope: string;
}

export interface RefreshFailedDetail extends EventDetailBase {
  readonly failureClass: 'rate_limited' | 'provider_unavailable' | 'internal_error';
  /** The provider's error code, `kms` or `internal`. */
  readonly errorCode: string;
  readonly cooldownUntil: string;
  readonly consecutiveFailures: number;
  readonly failingSince: string;
}

export interface ReauthorizationRequiredDetail extends EventDetailBase {
  readonly reason: 'invalid_grant' | 'refresh_token_expired' | 'no_refresh_token';
  /** Transient failures before it (0 if none). */
  readonly consecutiveFailures: number;
}

export interface RecoveredDetail extends EventDetailBase {
  readonly failingSince: string;
  readonly consecutiveFailures: number;
}

export interface RevokedDetail extends EventDetailBase {
  readonly reason: RevocationReason;
  readonly previousStatus: 'active' | 'reauthorization_required';
  /** Whether the provider confirmed the refresh token's revocation in this call (pending: the sweep retries). */
  readonly providerRevocation: 'confirmed' | 'pending' | 'unsupported' | 'none';
}

export interface ProviderRevocationConfirmedDetail extends EventDetailBase {
  /** Why the refresh token was being revoked (a revoke reason, or the vault's own: replaced_by_reconnect, ...). */
  readonly reason: string;
  readonly pendingSince: string;
  readonly attempts: number;
}
