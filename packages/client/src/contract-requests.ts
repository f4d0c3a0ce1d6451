/**
 * The contract's requests (docs/contract.md "Functions"): what a caller sends to each of the vault's functions.
 * Part of the contract; re-exported by contract.ts.
 */

/** Why a connection is revoked. */
export const REVOCATION_REASONS = ['user_disconnected', 'suspicious_activity', 'account_deactivated'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

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

/** The validity `token-fetch` guarantees when the request names none (seconds). */
export const DEFAULT_MIN_VALIDITY_SECONDS = 60;

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
