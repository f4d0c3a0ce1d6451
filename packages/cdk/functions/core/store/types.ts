/**
 * What the vault stores about a connection (one user, one application), as typed states: a connection is
 * active (and then holds its sealed tokens), needs re-authorization, or is revoked. Illegal combinations (an
 * active connection without tokens, a revoked one with tokens) do not type-check. Times are epoch milliseconds.
 */

export const CONNECTION_STATUSES = ['active', 'reauthorization_required', 'revoked'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export interface ConnectionKey {
  readonly userId: string;
  readonly applicationId: string;
}

/** Token material as stored: sealed fields under one wrapped data key, plus the clear metadata. */
export interface StoredTokens {
  readonly encryptedDataKey: Uint8Array;
  readonly accessToken: Uint8Array;
  /** Absent when the provider never issued one (the connection then ends when the access token expires). */
  readonly refreshToken?: Uint8Array;
  readonly tokenType: string;
  readonly scope: string;
  readonly accessTokenIssuedAt: number;
  readonly accessTokenExpiresAt: number;
  /** When the refresh token dies: the provider's `refresh_token_expires_in`, else an assumption. */
  readonly refreshTokenExpiresAt?: number;
  /**
   * True when `refreshTokenExpiresAt` is the vault's assumption, not the provider's statement: the vault then
   * still tries the refresh after it and lets the provider's `invalid_grant` decide.
   */
  readonly refreshTokenExpiryAssumed?: boolean;
  /** When the wrapped data key was generated (epoch ms): bounds its reuse by age. */
  readonly dataKeyCreatedAt?: number;
  /** Sealing writes made with this data key, this one included: bounds its reuse by count. */
  readonly dataKeyWrites?: number;
}

/** The single-flight refresh lease: who holds it (one owner id per acquisition) and until when. */
export interface Lease {
  readonly owner: string;
  readonly expiresAt: number;
}

/** After a failed refresh, no provider call before `until`; `errorCode` is answered meanwhile. */
export interface Cooldown {
  readonly until: number;
  readonly errorCode: 'rate_limited' | 'provider_unavailable' | 'internal_error';
}

/**
 * What an import left on the connection it made: the fingerprint of the refresh token it was given (never the
 * token) and its answer, so that a repeat of that import is answered as the first one was instead of presenting
 * the token at the provider again. Kept by refreshes, revoke and the mark of a dead token; gone with the next
 * save (a reconnect, or an import of another token).
 */
export interface ImportMark {
  readonly fingerprint: string;
  readonly validated: boolean;
  readonly replaced: boolean;
}

interface ConnectionBase extends ConnectionKey {
  /** Incremented by every change of tokens or status; the fencing value of all conditional writes. */
  readonly version: number;
  /** Identity of this connection instance: set by the save that connected it, kept by refreshes. */
  readonly connectionId: string;
  readonly connectedAt: string;
  readonly updatedAt: string;
  /** Set when an import made this connection. */
  readonly imported?: ImportMark;
}

export interface ActiveConnection extends ConnectionBase {
  readonly status: 'active';
  readonly tokens: StoredTokens;
  readonly lease?: Lease;
  readonly cooldown?: Cooldown;
  readonly lastRefreshAt?: string;
  /** When the last forced refresh (a caller's 401) stored its tokens: forced refreshes are rate-limited by it. */
  readonly lastForcedRefreshAt?: number;
  /**
   * When token-fetch last marked the connection as used: written at most once per access token (the first fetch
   * of a token whose issue is later than the mark). Not part of `version`.
   */
  readonly lastFetchedAt?: number;
  /** The due time the `refresh-due` index holds for it (absent without a refresh token). */
  readonly refreshDueAt?: number;
  /** Transient refresh failures since the last success (each one cooled the connection down). */
  readonly failure?: FailureStreak;
}

export interface FailureStreak {
  readonly streak: number;
  /** When the first failure of the streak was written. */
  readonly since: number;
  /** When the last `Connection Refresh Failed` event of the streak was decided. */
  readonly lastEventAt?: number;
}

export interface ReauthorizationRequiredConnection extends ConnectionBase {
  readonly status: 'reauthorization_required';
  readonly reauthorizationReason: string;
  readonly reauthorizationAt: string;
}

export interface RevokedConnection extends ConnectionBase {
  readonly status: 'revoked';
  readonly revokedAt: string;
  readonly revocationReason: string;
}

export type Connection = ActiveConnection | ReauthorizationRequiredConnection | RevokedConnection;

/** A revocation record: who, when, why. No token material. */
export interface RevocationRecord {
  readonly userId: string;
  readonly applicationId: string;
  readonly revokedAt: string;
  readonly reason: string;
  /** Whether the provider confirmed the revocation (false: not yet; the sweep retries until it does). */
  readonly providerConfirmed: boolean;
}

/**
 * A refresh token the provider has not yet confirmed as revoked, kept sealed (under its connection's binding)
 * in an item of its own until it is, so that a reconnect can never erase it.
 */
export interface PendingRevocation extends ConnectionKey {
  /** The item's own sort key (`#pending-revocation#...`). */
  readonly itemKey: string;
  readonly encryptedDataKey: Uint8Array;
  readonly refreshToken: Uint8Array;
  readonly reason: string;
  /** When the revocation was decided (epoch ms). */
  readonly since: number;
  readonly attempts: number;
  /** Sort key of the revocation record to mark confirmed, when there is one. */
  readonly recordKey?: string;
}

/** Work found in the `refresh-due` index: a connection to refresh, or a pending provider revocation. */
export interface DueItem extends ConnectionKey {
  readonly dueAt: number;
}
