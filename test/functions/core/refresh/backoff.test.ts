/** Full-jitter backoff alone (packages/cdk/functions/core/refresh/backoff.ts). */
import { fullJitterDelay } from '@token-vault/cdk/functions/core/refresh/backoff';

describe('fullJitterDelay', () => {
  it('draws from zero up to base * 2^attempt', () => {
    expect(fullJitterDelay(0, 100, 10_000, () => 0)).toBe(0);
    expect(fullJitterDelay(0, 100, 10_000, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, 100, 10_000, () => 0.5)).toBe(400);
  });

  it('never exceeds the cap', () => {
    expect(fullJitterDelay(20, 100, 10_000, () => 0.999)).toBe(9_990);
  });
});
