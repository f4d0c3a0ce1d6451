/**
 * The refresh schedule alone (packages/cdk/functions/core/refresh/schedule.ts): the proactive policy, the margin
 * and the keep-alive track applied to one connection, on fixed times.
 */
import { RefreshSchedule } from '@token-vault/cdk/functions/core/refresh/schedule';
import type { StoredTokens } from '@token-vault/cdk/functions/core/store/types';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const MARGIN_MS = 5 * 60_000;
const LEAD_MS = 2 * DAY_MS;
const T0 = Date.UTC(2026, 0, 1);

const tokens = (overrides: Partial<StoredTokens> = {}): StoredTokens => ({
  encryptedDataKey: new Uint8Array([1]),
  accessToken: new Uint8Array([2]),
  refreshToken: new Uint8Array([3]),
  tokenType: 'Bearer',
  scope: '',
  accessTokenIssuedAt: T0,
  accessTokenExpiresAt: T0 + HOUR_MS,
  refreshTokenExpiresAt: T0 + 30 * DAY_MS,
  ...overrides,
});

const schedule = (policy: 'used' | 'all' | 'none', idleLimitMs?: number): RefreshSchedule =>
  new RefreshSchedule({
    policy,
    marginMs: MARGIN_MS,
    keepAliveLeadMs: LEAD_MS,
    ...(idleLimitMs === undefined ? {} : { idleLimitMs: (app) => (app === 'idle' ? idleLimitMs : undefined) }),
  });

const EXPIRY_DUE = T0 + HOUR_MS - MARGIN_MS;
const KEEP_ALIVE_DUE = T0 + 28 * DAY_MS;
const connection = (lastFetchedAt?: number, applicationId = 'default', t = tokens()) => ({
  applicationId,
  tokens: t,
  ...(lastFetchedAt === undefined ? {} : { lastFetchedAt }),
});

describe('RefreshSchedule', () => {
  it('marks use only under the used policy', () => {
    expect(schedule('used').marksUse).toBe(true);
    expect(schedule('all').marksUse).toBe(false);
    expect(schedule('none').marksUse).toBe(false);
    expect(schedule('none').policy).toBe('none');
  });

  it('counts a token used when it was fetched at or after its issue', () => {
    expect(schedule('used').used(connection())).toBe(false);
    expect(schedule('used').used(connection(T0 - 1))).toBe(false);
    expect(schedule('used').used(connection(T0))).toBe(true);
  });

  it('stores the expiry track for a token kept ahead, the keep-alive track otherwise', () => {
    const c = connection();
    expect(schedule('all').next(c, false)).toBe(EXPIRY_DUE);
    expect(schedule('used').next(c, true)).toBe(EXPIRY_DUE);
    expect(schedule('used').next(c, false)).toBe(KEEP_ALIVE_DUE);
    expect(schedule('none').next(c, true)).toBe(KEEP_ALIVE_DUE);
  });

  it("takes the idle limit of the connection's own application", () => {
    const s = schedule('none', 10 * DAY_MS);
    expect(s.next(connection(undefined, 'idle'), false)).toBe(T0 + 8 * DAY_MS);
    expect(s.next(connection(undefined, 'other'), false)).toBe(KEEP_ALIVE_DUE);
  });

  it('a connection without a refresh token stays on the expiry track (nothing to keep alive)', () => {
    const { refreshToken: _none, ...rest } = tokens();
    expect(schedule('none').next(connection(undefined, 'default', rest), false)).toBe(EXPIRY_DUE);
  });

  it('all is the policy of a core built without one, with a two-day keep-alive lead', () => {
    const s = RefreshSchedule.all(MARGIN_MS);
    expect(s.policy).toBe('all');
    expect(s.o.keepAliveLeadMs).toBe(LEAD_MS);
    expect(s.next(connection(), false)).toBe(EXPIRY_DUE);
  });

  describe('proactiveDue', () => {
    it('refreshes a token kept ahead once it is due within the horizon', () => {
      expect(schedule('all').proactiveDue(connection(), EXPIRY_DUE - 1, 0)).toBe(false);
      expect(schedule('all').proactiveDue(connection(), EXPIRY_DUE, 0)).toBe(true);
      expect(schedule('all').proactiveDue(connection(), EXPIRY_DUE - 60_000, 60_000)).toBe(true);
    });

    it('never before half the lifetime, however far it looks ahead', () => {
      const halfLife = T0 + HOUR_MS / 2;
      expect(schedule('all').proactiveDue(connection(), halfLife - 1, HOUR_MS)).toBe(false);
      expect(schedule('all').proactiveDue(connection(), halfLife, HOUR_MS)).toBe(true);
    });

    it('under used, only a token a caller fetched is refreshed ahead', () => {
      expect(schedule('used').proactiveDue(connection(), EXPIRY_DUE, 0)).toBe(false);
      expect(schedule('used').proactiveDue(connection(T0 + 1), EXPIRY_DUE, 0)).toBe(true);
      expect(schedule('none').proactiveDue(connection(T0 + 1), EXPIRY_DUE, 0)).toBe(false);
    });

    it('under every policy an idle connection is refreshed on the keep-alive track', () => {
      for (const policy of ['used', 'all', 'none'] as const) {
        expect(schedule(policy).proactiveDue(connection(), KEEP_ALIVE_DUE - 1, 0)).toBe(policy === 'all');
        expect(schedule(policy).proactiveDue(connection(), KEEP_ALIVE_DUE, 0)).toBe(true);
      }
    });

    it('without a refresh token there is no keep-alive refresh', () => {
      const { refreshToken: _none, ...rest } = tokens();
      expect(schedule('none').proactiveDue(connection(undefined, 'default', rest), KEEP_ALIVE_DUE, 0)).toBe(false);
    });
  });
});
