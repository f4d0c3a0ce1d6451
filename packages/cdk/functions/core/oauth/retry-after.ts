/**
 * `Retry-After` as the provider calls honour it: the one parser (shared with the caller library), clamped.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
import { retryAfterMs } from '@token-vault/client/retry-after';

/** Longest wait we accept from a provider; anything longer is clamped (a bogus header must not park us for days). */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Milliseconds to wait, or undefined when the header is absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const ms = retryAfterMs(value, now);
  return ms === undefined ? undefined : Math.min(ms, MAX_RETRY_AFTER_MS);
}
