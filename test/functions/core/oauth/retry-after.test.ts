/**
 * `Retry-After` alone (packages/cdk/functions/core/oauth/retry-after.ts).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '@token-vault/cdk/functions/core/oauth/retry-after';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter(' 3 ', NOW)).toBe(3_000);
  });

  it('reads an HTTP-date as the time left until it, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', NOW)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', NOW)).toBe(0);
  });

  it('clamps a wait longer than an hour', () => {
    expect(parseRetryAfter('999999', NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('ignores an absent or unreadable header', () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });
});
