/**
 * `Retry-After`, read once for the caller library and the vault's functions (an entry of its own, with no
 * dependency, so that the functions bundle it without the Lambda client).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */

/** Milliseconds to wait (delay-seconds or an HTTP-date), or undefined when the header is absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
