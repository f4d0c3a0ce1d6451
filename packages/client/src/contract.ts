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

/** `refresh` as the schedule invokes it: the proactive sweep. */
export interface SweepRequest {
  readonly sweep: true;
}

/** `revoke`: every connection of the user, or the one of `applicationId`. */
export interface RevokeRequest {
  readonly userId: string;
  readonly applicationId?: string;
  readonly reason: RevocationReason;
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

export interface SweepAnswer {
  readonly ok: true;
  readonly examined: number;
  readonly refreshed: number;
  readonly failed: number;
  readonly revocationsConfirmed: number;
}

export interface CompleteAnswer {
  readonly ok: true;
  readonly applicationId: string;
  /** Whether the user already had an active connection for the application (it was replaced). */
  readonly reconnected: boolean;
}

/** An answer: `T` or the error answer. */
export type Answer<T> = T | ErrorAnswer;
