/** The refresh policy alone: pure functions of the stored times (packages/cdk/functions/core/refresh/policy.ts). */
import {
  dueAt,
  isDue,
  isServable,
  lifetimeMs,
  requiredValidityMs,
  satisfiesValidity,
} from '@token-vault/cdk/functions/core/refresh/policy';
import { CLOCK_SKEW_MS } from '@token-vault/cdk/functions/core/time/clock';

const HOUR_MS = 60 * 60 * 1000;
const tokens = { accessTokenIssuedAt: 0, accessTokenExpiresAt: HOUR_MS };

describe('lifetimeMs', () => {
  it('is the time from issue to expiry, never negative', () => {
    expect(lifetimeMs(tokens)).toBe(HOUR_MS);
    expect(lifetimeMs({ accessTokenIssuedAt: 10, accessTokenExpiresAt: 5 })).toBe(0);
  });
});

describe('requiredValidityMs', () => {
  it('is what the request asks, capped at the lifetime less the settle time', () => {
    expect(requiredValidityMs(tokens, 60_000, 5_000)).toBe(60_000);
    expect(requiredValidityMs(tokens, 2 * HOUR_MS, 5_000)).toBe(HOUR_MS - 5_000);
  });
});

describe('isServable', () => {
  it('refuses a token within the clock-skew allowance of its expiry', () => {
    expect(isServable(tokens, HOUR_MS - CLOCK_SKEW_MS - 1)).toBe(true);
    expect(isServable(tokens, HOUR_MS - CLOCK_SKEW_MS)).toBe(false);
  });
});

describe('satisfiesValidity', () => {
  it('needs the requested validity left and a servable token', () => {
    expect(satisfiesValidity(tokens, 60_000, HOUR_MS - 60_000, 0)).toBe(true);
    expect(satisfiesValidity(tokens, 60_000, HOUR_MS - 59_999, 0)).toBe(false);
    expect(satisfiesValidity(tokens, 0, HOUR_MS - CLOCK_SKEW_MS, 0)).toBe(false);
  });
});

describe('dueAt and isDue', () => {
  it('is the margin before expiry', () => {
    expect(dueAt(tokens, 5 * 60_000)).toBe(HOUR_MS - 5 * 60_000);
  });

  it('is never before half the lifetime (a short token is not refreshed on every call)', () => {
    const short = { accessTokenIssuedAt: 0, accessTokenExpiresAt: 60_000 };
    expect(dueAt(short, 5 * 60_000)).toBe(30_000);
  });

  it('looks ahead by the horizon', () => {
    const due = dueAt(tokens, 5 * 60_000);
    expect(isDue(tokens, 5 * 60_000, due - 1)).toBe(false);
    expect(isDue(tokens, 5 * 60_000, due)).toBe(true);
    expect(isDue(tokens, 5 * 60_000, due - 1_000, 1_000)).toBe(true);
  });
});
