/**
 * `Retry-After`: delay-seconds or an HTTP-date.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */

/** Longest wait we accept from a provider; anything longer is clamped (a bogus header must not park us for days). */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Milliseconds to wait, or undefined when the header is absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
