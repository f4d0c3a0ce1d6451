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
  return isServable(tokens, now) && tokens.accessTokenExpiresAt - now >= requiredValidityMs(tokens, minValidityMs, settleMs);
}

/**
 * When the token is due for refresh ahead of expiry: `margin` before it expires, but never before half its
 * lifetime (a 60-second token with a 5-minute margin is not refreshed on every call).
 */
export function dueAt(tokens: Times, marginMs: number): number {
  return Math.max(tokens.accessTokenIssuedAt + Math.floor(lifetimeMs(tokens) / 2), tokens.accessTokenExpiresAt - marginMs);
}

/** Whether the token is due by `now + horizonMs`. */
export function isDue(tokens: Times, marginMs: number, now: number, horizonMs = 0): boolean {
  return now + horizonMs >= dueAt(tokens, marginMs);
}
