/** The refresh policy alone: pure functions of the stored times (packages/cdk/functions/core/refresh/policy.ts). */
import {
  dueAt,
  isDue,
  isServable,
  keepAliveAt,
  lifetimeMs,
  nextDueAt,
  requiredValidityMs,
  satisfiesValidity,
  wasUsed,
} from '@token-vault/cdk/functions/core/refresh/policy';
import { CLOCK_SKEW_MS } from '@token-vault/cdk/functions/core/time/clock';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const LEAD_MS = 2 * DAY_MS;
const MARGIN_MS = 5 * 60_000;
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

  it('is zero when the settle time exceeds the lifetime', () => {
    expect(requiredValidityMs({ accessTokenIssuedAt: 0, accessTokenExpiresAt: 1_000 }, 60_000, 5_000)).toBe(0);
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

  it('caps an over-long request at what a fresh token has left after the settle time', () => {
    // Asking for two hours of a one-hour token: met by a token with the lifetime less the settle time left.
    expect(satisfiesValidity(tokens, 2 * HOUR_MS, 5_000, 5_000)).toBe(true);
    expect(satisfiesValidity(tokens, 2 * HOUR_MS, 5_001, 5_000)).toBe(false);
  });
});

describe('dueAt and isDue', () => {
  it('is the margin before expiry', () => {
    expect(dueAt(tokens, MARGIN_MS)).toBe(HOUR_MS - MARGIN_MS);
  });

  it('is never before half the lifetime (a short token is not refreshed on every call)', () => {
    const short = { accessTokenIssuedAt: 0, accessTokenExpiresAt: 60_000 };
    expect(dueAt(short, MARGIN_MS)).toBe(30_000);
  });

  it('looks ahead by the horizon', () => {
    const due = dueAt(tokens, MARGIN_MS);
    expect(isDue(tokens, MARGIN_MS, due - 1)).toBe(false);
    expect(isDue(tokens, MARGIN_MS, due)).toBe(true);
    expect(isDue(tokens, MARGIN_MS, due - 1_000, 1_000)).toBe(true);
  });
});

describe('the proactive tracks', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const issued = {
    accessTokenIssuedAt: t0,
    accessTokenExpiresAt: t0 + HOUR_MS,
    refreshTokenExpiresAt: t0 + 30 * DAY_MS,
  };

  it('a token is used when it was fetched at or after its issue', () => {
    expect(wasUsed(issued, undefined)).toBe(false);
    expect(wasUsed(issued, t0 - 1)).toBe(false);
    expect(wasUsed(issued, t0)).toBe(true);
  });

  it("keep-alive: the lead before the earlier of the refresh token's expiry and the idle limit, never sooner than a day after the last refresh", () => {
    expect(keepAliveAt(issued, true, { leadMs: LEAD_MS })).toBe(t0 + 28 * DAY_MS);
    expect(keepAliveAt(issued, true, { leadMs: LEAD_MS, idleLimitMs: 10 * DAY_MS })).toBe(t0 + 8 * DAY_MS);
    // A refresh token that does not get a later expiry when refreshed: daily, not on every sweep.
    expect(keepAliveAt({ ...issued, refreshTokenExpiresAt: t0 + DAY_MS / 2 }, true, { leadMs: LEAD_MS })).toBe(
      t0 + DAY_MS,
    );
    expect(keepAliveAt(issued, false, { leadMs: LEAD_MS })).toBeUndefined();
  });

  it('keep-alive without any known limit: a month after the last refresh, less the lead', () => {
    const { refreshTokenExpiresAt: _stated, ...unstated } = issued;
    expect(keepAliveAt(unstated, true, { leadMs: LEAD_MS })).toBe(t0 + 28 * DAY_MS);
    expect(keepAliveAt(unstated, true, { leadMs: LEAD_MS, idleLimitMs: 5 * DAY_MS })).toBe(t0 + 3 * DAY_MS);
  });

  it('the next due time per policy: expiry track when kept ahead, else keep-alive', () => {
    const expiry = t0 + HOUR_MS - MARGIN_MS;
    const alive = t0 + 28 * DAY_MS;
    const next = (policy: 'used' | 'all' | 'none', used: boolean): number =>
      nextDueAt(policy, issued, true, used, MARGIN_MS, { leadMs: LEAD_MS });
    expect([next('all', false), next('all', true)]).toEqual([expiry, expiry]);
    expect([next('used', false), next('used', true)]).toEqual([alive, expiry]);
    expect([next('none', false), next('none', true)]).toEqual([alive, alive]);
  });

  it('the earlier track wins when keep-alive falls before the expiry track', () => {
    // A refresh token about to die sooner than the access token's due time: keep-alive comes first.
    const dying = { ...issued, accessTokenExpiresAt: t0 + 3 * DAY_MS, refreshTokenExpiresAt: t0 + 2 * DAY_MS };
    expect(nextDueAt('all', dying, true, true, MARGIN_MS, { leadMs: LEAD_MS })).toBe(t0 + DAY_MS);
  });

  it('without a refresh token only the expiry track is left, whatever the policy', () => {
    for (const policy of ['used', 'all', 'none'] as const)
      expect(nextDueAt(policy, issued, false, false, MARGIN_MS, { leadMs: LEAD_MS })).toBe(t0 + HOUR_MS - MARGIN_MS);
  });
});
