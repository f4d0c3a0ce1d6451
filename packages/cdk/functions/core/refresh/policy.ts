/**
 * When a stored access token answers a demand, and when it is due for refresh. Pure functions of the stored
 * times; all durations in milliseconds.
 */
import type { StoredTokens } from '../store/types';
import { CLOCK_SKEW_MS } from '../time/clock';

type Times = Pick<StoredTokens, 'accessTokenIssuedAt' | 'accessTokenExpiresAt'>;

export function lifetimeMs(tokens: Times): number {
  return Math.max(0, tokens.accessTokenExpiresAt - tokens.accessTokenIssuedAt);
}

/**
 * The validity a `minValiditySeconds` request gets: what it asks, but at most what a token just refreshed is
 * sure to have left when it is served: its lifetime less `settleMs` (one provider attempt and the write after
 * it; lifetimes count from the moment the request was sent). Asking for more could only be met by refreshing
 * on every call, or never; the contract documents this cap.
 */
export function requiredValidityMs(tokens: Times, minValidityMs: number, settleMs: number): number {
  return Math.min(minValidityMs, Math.max(0, lifetimeMs(tokens) - settleMs));
}

/**
 * Whether the token may still be served at all. Its expiry was computed on one container's clock and is judged on
 * another's, and the provider judges it on a third: within `CLOCK_SKEW_MS` of expiry it may already be dead at the
 * provider, so it is never served then (the contract says so).
 */
export function isServable(tokens: Pick<Times, 'accessTokenExpiresAt'>, now: number): boolean {
  return tokens.accessTokenExpiresAt - now > CLOCK_SKEW_MS;
}

/** Whether the token is valid now for the validity the request can get (and servable at all). */
export function satisfiesValidity(tokens: Times, minValidityMs: number, now: number, settleMs: number): boolean {
  return (
    isServable(tokens, now) && tokens.accessTokenExpiresAt - now >= requiredValidityMs(tokens, minValidityMs, settleMs)
  );
}

/**
 * When the token is due for refresh ahead of expiry: `margin` before it expires, but never before half its
 * lifetime (a 60-second token with a 5-minute margin is not refreshed on every call).
 */
export function dueAt(tokens: Times, marginMs: number): number {
  return Math.max(
    tokens.accessTokenIssuedAt + Math.floor(lifetimeMs(tokens) / 2),
    tokens.accessTokenExpiresAt - marginMs,
  );
}

/** Whether the token is due by `now + horizonMs`. */
export function isDue(tokens: Times, marginMs: number, now: number, horizonMs = 0): boolean {
  return now + horizonMs >= dueAt(tokens, marginMs);
}

/**
 * Which connections the proactive refresh keeps ahead of expiry (docs/contract.md "Proactive refresh"):
 * - `used`: those whose current access token was fetched (`lastFetchedAt` at or after its issue);
 * - `all`: every connection, used or not;
 * - `none`: none (callers refresh on demand).
 * Under every policy an idle connection is kept alive: refreshed before its refresh token would expire or hit the
 * provider's idle limit.
 */
export const PROACTIVE_REFRESH_POLICIES = ['used', 'all', 'none'] as const;
export type ProactiveRefresh = (typeof PROACTIVE_REFRESH_POLICIES)[number];

const DAY_MS = 24 * 60 * 60 * 1000;

/** The keep-alive track's inputs. */
export interface KeepAlive {
  /** Refresh this long before the refresh token would die. */
  readonly leadMs: number;
  /** The provider's idle limit of a refresh token (unused that long, it dies), when the profile states one. */
  readonly idleLimitMs?: number;
}

type UseTimes = Times & { readonly lastFetchedAt?: number };

/** Whether the current access token was fetched by a caller (marked at most once per token). */
export function wasUsed(tokens: Times, lastFetchedAt: number | undefined): boolean {
  return lastFetchedAt !== undefined && lastFetchedAt >= tokens.accessTokenIssuedAt;
}

/**
 * When an idle connection must be refreshed to stay alive: `leadMs` before its refresh token expires (stated or
 * assumed) or hits the idle limit (counted from the last refresh, i.e. the current access token's issue), but
 * never sooner than a day after the last refresh (a provider that does not extend the expiry would otherwise be
 * called on every sweep). Undefined without a refresh token.
 */
export function keepAliveAt(
  tokens: Times & Pick<StoredTokens, 'refreshTokenExpiresAt'>,
  hasRefreshToken: boolean,
  keepAlive: KeepAlive,
): number | undefined {
  if (!hasRefreshToken) return undefined;
  const limits = [
    tokens.refreshTokenExpiresAt,
    keepAlive.idleLimitMs === undefined ? undefined : tokens.accessTokenIssuedAt + keepAlive.idleLimitMs,
  ].filter((t): t is number => t !== undefined);
  // No known limit: once a month, like the vault's default assumed refresh-token life.
  const dies = limits.length > 0 ? Math.min(...limits) : tokens.accessTokenIssuedAt + 30 * DAY_MS;
  return Math.max(tokens.accessTokenIssuedAt + DAY_MS, dies - keepAlive.leadMs);
}

/**
 * The next due time the index holds for a connection: on the expiry track when the policy refreshes it ahead
 * (`all`, or `used` and `used`), else on the keep-alive track; the earlier of the two when both apply.
 */
export function nextDueAt(
  policy: ProactiveRefresh,
  tokens: UseTimes & Pick<StoredTokens, 'refreshTokenExpiresAt'>,
  hasRefreshToken: boolean,
  used: boolean,
  marginMs: number,
  keepAlive: KeepAlive,
): number {
  const expiry = dueAt(tokens, marginMs);
  const alive = keepAliveAt(tokens, hasRefreshToken, keepAlive);
  const ahead = policy === 'all' || (policy === 'used' && used);
  if (alive === undefined) return expiry;
  return ahead ? Math.min(expiry, alive) : alive;
}
