/**
 * The one retry layer of provider calls: capped exponential backoff with full jitter
 * (sleep = random(0, min(cap, base * 2^attempt))), a provider's `Retry-After` wins, and nothing is retried past
 * the time budget. Written here (20 lines) because the retry libraries on npm either are ESM-only or cannot let
 * a per-error `Retry-After` override the computed delay.
 */

export interface BackoffOptions {
  /** @default 200 */
  readonly baseMs?: number;
  /** @default 2000 */
  readonly capMs?: number;
  /** Attempts in all, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Absolute time (epoch ms) after which no new attempt starts. */
  readonly deadline: number;
  /** Which errors may be retried. */
  readonly retryable: (error: unknown) => boolean;
  /** The delay the error itself asks for (Retry-After), if any. */
  readonly retryAfterMs?: (error: unknown) => number | undefined;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Full-jitter delay for the given attempt (0-based). */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: BackoffOptions): Promise<T> {
  const { baseMs = 200, capMs = 2000, maxAttempts = 3, now = Date.now, random = Math.random } = options;
  const wait = options.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= maxAttempts || !options.retryable(error)) throw error;
      const delay = options.retryAfterMs?.(error) ?? fullJitterDelay(attempt, baseMs, capMs, random);
      if (now() + delay >= options.deadline) throw error;
      await wait(delay);
    }
  }
}
