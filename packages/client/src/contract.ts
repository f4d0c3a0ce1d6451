/**
 * The contract's request and answer types (docs/contract.md "Functions"), as plain types with no dependency: what a
 * caller sends to the vault's functions through the Lambda Invoke API and what they answer. The functions validate
 * requests with schemas of their own that are checked, at compile time, to accept exactly these shapes.
 *
 * Also importable alone: `import type { TokenAnswer } from '@token-vault/client/contract'`.
 */

/** Error codes of the contract. Expected failures are answers with one of these, never thrown errors. */
export const ERROR_CODES = [
  'invalid_request',
  'not_connected',
  'reauthorization_required',
  'insufficient_scope',
  'rate_limited',
  'provider_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Whether a caller may retry the same request later with a chance of success. */
export const RETRYABLE: Readonly<Record<ErrorCode, boolean>> = {
  invalid_request: false,
  not_connected: false,
  reauthorization_required: false,
  insufficient_scope: false,
  rate_limited: true,
  provider_unavailable: true,
  internal_error: true,
};

/** Names of the vault's functions in the contract (the CDK construct deploys them under generated names). */
export const FUNCTION_NAMES = {
  connect: 'connect',
  callback: 'callback',
  tokenFetch: 'token-fetch',
  refresh: 'refresh',
  revoke: 'revoke',
  importConnection: 'import',
  status: 'status',
  complete: 'complete',
  auditForwarder: 'audit-forwarder',
} as const;

/** Each function answers within its timeout (docs/contract.md "Time"), in seconds. */
export const FUNCTION_TIMEOUT_SECONDS = {
  connect: 10,
  callback: 20,
  tokenFetch: 20,
  refresh: 60,
  revoke: 30,
  importConnection: 20,
  status: 10,
  complete: 30,
  auditForwarder: 30,
} as const;

/** Why a connection is revoked. */
export const REVOCATION_REASONS = ['user_disconnected', 'suspicious_activity', 'account_deactivated'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

// ------------------------------------------------------------------------------------------------ requests

/**
 * `connect`: starts an authorization-code flow for the user. `userId`: 1-128 characters of `[A-Za-z0-9._:@-]`;
 * `applicationId`: 1-64 of the same (default `default`).
 */
export interface ConnectRequest {
  readonly userId: string;
  readonly applicationId?: string;
  /** Where the callback redirects afterwards; must match the application's allow-list. */
  readonly returnTo?: string;
  /** Scopes instead of the application's (its required scopes are always added). */
  readonly scopes?: string[];
}

/** `token-fetch`: an access token valid for at least `minValiditySeconds` (default 60, at most 43200). */
export interface TokenFetchRequest {
  readonly userId: string;
  readonly applicationId?: string;
  readonly minValiditySeconds?: number;
}

/** `refresh`: a new access token after the API answered 401 `invalid_token` to `rejectedAccessToken`. */
export interface RefreshRequest {
  readonly userId: string;
  readonly applicationId?: string;
  readonly rejectedAccessToken?: string;
}

/**
 * `refresh-sweep` as the schedule invokes it (its rule's payload). Not a caller's request: only the schedule may
 * invoke the sweep, and `refresh` answers it with `invalid_request`.
 */
export interface SweepRequest {
  readonly sweep: true;
}

/** `revoke`: every connection of the user, or the one of `applicationId`. */
export interface RevokeRequest {
  readonly userId: string;
  readonly applicationId?: string;
  readonly reason: RevocationReason;
}

/** `status`: the user's connections (of every application, or of `applicationId`), never a token. */
export interface StatusRequest {
  readonly userId: string;
  readonly applicationId?: string;
}

/**
 * `import` (migrations, its own grant): stores a refresh token issued elsewhere as a connection. With `validate`
 * (default) the vault refreshes it once at the provider first; with `validate: false` it stores `accessToken`
 * (valid until `expiresAt`, ISO 8601) as given. An active connection is overwritten only with `replace: true`.
 */
export interface ImportRequest {
  readonly userId: string;
  readonly applicationId?: string;
  readonly refreshToken: string;
  readonly scope?: string;
  readonly accessToken?: string;
  readonly expiresAt?: string;
  readonly replace?: boolean;
  readonly validate?: boolean;
}

/**
 * `complete`: activates a session-bound flow after the callback redirected to `returnTo` with
 * `status=pending&flow=HANDLE`. `userId` is the user of the application's own logged-in session; only the user who
 * called `connect` activates the connection (another user is refused and the parked grant revoked).
 */
export interface CompleteRequest {
  /** The `flow` parameter of the redirect (43 characters of base64url). */
  readonly flowHandle: string;
  readonly userId: string;
}

// ------------------------------------------------------------------------------------------------- answers

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  /** Only when known (rate limits, cool-downs). */
  readonly retryAfterSeconds?: number;
}

export interface ErrorAnswer {
  readonly ok: false;
  readonly error: ErrorBody;
}

export interface ConnectAnswer {
  readonly ok: true;
  readonly authorizationUrl: string;
  /** ISO 8601: when the pending authorization request (its `state`) expires. */
  readonly expiresAt: string;
}

/** The answer of `token-fetch` and `refresh`. */
export interface TokenAnswer {
  readonly ok: true;
  readonly accessToken: string;
  /** Always `Bearer`. */
  readonly tokenType: string;
  /** ISO 8601. */
  readonly expiresAt: string;
  readonly scope: string;
}

export interface RevokeAnswer {
  readonly ok: true;
  /** Connections this call revoked (a repeated revoke answers 0). */
  readonly revoked: number;
  /** Refresh tokens the provider has not confirmed as revoked yet; the scheduled sweep retries them. */
  readonly providerPending: number;
}

/** What one scheduled sweep did: it enqueues the due work for the refresh worker, and refreshes nothing itself. */
export interface SweepAnswer {
  readonly ok: true;
  /** Due items looked at. */
  readonly examined: number;
  /** Work messages the refresh queue accepted. */
  readonly enqueued: number;
  /** Due items skipped: enqueued by an earlier sweep within the queue's visibility timeout. */
  readonly alreadyQueued: number;
  /** Messages the queue refused (sent again by the next sweep). */
  readonly failed: number;
  /** Now less the oldest due time of a connection not refreshed yet; 0 when none is late. */
  readonly backlogMs: number;
  /** Messages waiting in the queue when the sweep started (its back-pressure). */
  readonly queued: number;
}

/** One connection as `status` answers it. Times are ISO 8601; nothing here is token material. */
export interface ConnectionStatus {
  readonly applicationId: string;
  readonly status: 'active' | 'reauthorization_required' | 'revoked';
  /** The active connection's granted scope; null otherwise. */
  readonly scope: string | null;
  readonly connectedAt: string;
  /** The last refresh stored (null: none since the connection was made, or not active). */
  readonly lastRefreshedAt: string | null;
  readonly accessTokenExpiresAt: string | null;
  /** ISO when the provider stated it; `unknown` when the vault only assumes a lifetime; null without one. */
  readonly refreshTokenExpiresAt: string | null;
  /** Why the user must connect again (`invalid_grant`, `refresh_token_expired`, `no_refresh_token`); else null. */
  readonly reauthorizationReason: string | null;
  /** A refresh token of this application still waits to be revoked at the provider (the sweep retries it). */
  readonly providerRevocationPending: boolean;
  /** Since when refreshes have been failing (transient failures, cool-down), else null. */
  readonly refreshFailingSince: string | null;
}

export interface StatusAnswer {
  readonly ok: true;
  readonly connections: ConnectionStatus[];
}

export interface ImportAnswer {
  readonly ok: true;
  readonly applicationId: string;
  /** Whether an active connection was overwritten (`replace: true`). */
  readonly replaced: boolean;
  /** Whether the token was checked with one refresh at the provider. */
  readonly validated: boolean;
  readonly accessTokenExpiresAt: string;
  /** ISO when known, `unknown` when assumed, null without a refresh token. */
  readonly refreshTokenExpiresAt: string | null;
}

// -------------------------------------------------------------------------------------------------- events

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

export interface CompleteAnswer {
  readonly ok: true;
  readonly applicationId: string;
  /** Whether the user already had an active connection for the application (it was replaced). */
  readonly reconnected: boolean;
}

/** An answer: `T` or the error answer. */
export type Answer<T> = T | ErrorAnswer;
