/** What the vault stores about a connection (one user, one application). Times are epoch milliseconds. */

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
  /** When the refresh token itself dies (provider's `refresh_token_expires_in`, else the configured default). */
  readonly refreshTokenExpiresAt?: number;
}

export interface ConnectionRecord extends ConnectionKey, Partial<StoredTokens> {
  readonly status: ConnectionStatus;
  /** Incremented by every change of tokens or status; the fencing value of all conditional writes. */
  readonly version: number;
  readonly connectedAt: string;
  readonly updatedAt: string;
  /** Single-flight refresh lease: who holds it and until when. */
  readonly leaseOwner?: string;
  readonly leaseExpiresAt?: number;
  /** After a failed refresh, no provider call before this time. */
  readonly cooldownUntil?: number;
  /** Contract error code of the last failed refresh (answered during the cool-down). */
  readonly lastErrorCode?: string;
  readonly lastRefreshAt?: string;
  readonly reauthorizationReason?: string;
  readonly reauthorizationAt?: string;
  readonly revokedAt?: string;
  readonly revocationReason?: string;
  /** Revoked locally but the provider could not be told yet: the sealed refresh token is kept for the retry. */
  readonly providerRevocationPending?: boolean;
  /** Sparse index `refresh-due` keys: present only while the connection can be refreshed. */
  readonly dueShard?: string;
  readonly refreshDueAt?: number;
}

/** A revocation record: who, when, why. No token material. */
export interface RevocationRecord {
  readonly userId: string;
  readonly applicationId: string;
  readonly revokedAt: string;
  readonly reason: string;
  /** Whether the provider confirmed the revocation (false: it was unreachable; the vault retries). */
  readonly providerConfirmed: boolean;
}
