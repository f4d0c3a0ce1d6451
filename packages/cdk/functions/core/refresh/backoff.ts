/**
 * The one retry layer of provider calls uses capped exponential backoff with full jitter
 * (sleep = random(0, min(cap, base * 2^attempt))); a provider's `Retry-After` wins (see refresher.ts).
 */

/** Full-jitter delay for the given attempt (0-based). */
export function fullJitterDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
