/**
 * When to refresh, how long to wait, how long to cool down. All times in milliseconds.
 */
import type { ConnectionRecord } from '../store/types';

export interface RefreshPolicy {
  /** Refresh this long before expiry... */
  readonly marginMs: number;
  /** Lifetime assumed when the provider sends no `expires_in` (the seed's 1 hour). */
  readonly defaultAccessTokenTtlMs: number;
  /** Lifetime assumed for refresh tokens without `refresh_token_expires_in` (the seed's 30 days). */
  readonly defaultRefreshTokenTtlMs: number;
  /** After a failed refresh, no provider call for this long (per connection, across all containers). */
  readonly cooldownMs: number;
  /** How long a refresh lease lasts: longer than the whole refresh (provider budget + write). */
  readonly leaseMs: number;
  /** Time budget of the provider call, retries included. */
  readonly providerBudgetMs: number;
  /** How long a caller waits for another container's refresh before answering `provider_unavailable`. */
  readonly waitMs: number;
  /**
   * How long after it started a caller may still take the lease itself (after its first try). A refresh taken
   * on later could outlive the function's timeout: killed after the provider answered but before the write,
   * it would lose the rotated refresh token. Later callers only wait for others, or answer `provider_unavailable`.
   */
  readonly takeoverWindowMs: number;
}

export const DEFAULT_REFRESH_POLICY: RefreshPolicy = {
  marginMs: 5 * 60 * 1000,
  defaultAccessTokenTtlMs: 60 * 60 * 1000,
  defaultRefreshTokenTtlMs: 30 * 24 * 60 * 60 * 1000,
  cooldownMs: 30 * 1000,
  leaseMs: 25 * 1000,
  // With the 5-second provider timeout the last attempt ends by 13 s, well inside token-fetch's 20-second timeout.
  providerBudgetMs: 8 * 1000,
  waitMs: 12 * 1000,
  takeoverWindowMs: 5 * 1000,
};

/**
 * The moment a token should be refreshed: `margin` (or the caller's `minValidity`, whichever is larger) before
 * expiry, but never before half its lifetime, so a 60-second token with a 5-minute margin is not refreshed on
 * every call.
 */
export function refreshAt(record: Pick<ConnectionRecord, 'accessTokenIssuedAt' | 'accessTokenExpiresAt'>, policy: RefreshPolicy, minValidityMs: number): number {
  const issued = record.accessTokenIssuedAt ?? 0;
  const expires = record.accessTokenExpiresAt ?? 0;
  const halfLife = issued + Math.floor((expires - issued) / 2);
  return Math.max(halfLife, expires - Math.max(policy.marginMs, minValidityMs));
}

/** Whether the stored access token should be refreshed before `now + horizonMs`. */
export function needsRefresh(record: ConnectionRecord, policy: RefreshPolicy, now: number, minValidityMs: number, horizonMs = 0): boolean {
  return now + horizonMs >= refreshAt(record, policy, minValidityMs);
}

/** Whether the stored access token can still be used at all (served during provider outages). */
export function isStillValid(record: ConnectionRecord, now: number): boolean {
  return record.accessToken !== undefined && (record.accessTokenExpiresAt ?? 0) > now;
}
