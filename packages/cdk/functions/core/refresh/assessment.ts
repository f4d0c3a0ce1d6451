/**
 * Whether a connection's stored token answers a demand, or a refresh is needed (and whether the token may stand
 * in while none can be made).
 */
import { VaultError } from '../errors';
import type { ActiveConnection } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { RefreshCoordinatorOptions } from './coordinator-options';
import type { RefreshDemand } from './demand';
import { isDue, isServable, satisfiesValidity } from './policy';
import type { RefreshSchedule } from './schedule';
import type { UseMark } from './use-mark';

/** What a demand needs from the connection as read. */
export type Assessment =
  /** The stored token answers (`opened`: already decrypted, `usedKms`: that took a KMS call). */
  | { readonly kind: 'serve'; readonly opened?: string; readonly usedKms: boolean }
  /** A refresh is needed; `fallback`: the stored token may answer when no refresh can be made. */
  | { readonly kind: 'refresh'; readonly fallback: boolean }
  /** The sweep has nothing to do here (`refreshed`: a peer refreshed since the first read). */
  | { readonly kind: 'done'; readonly refreshed: boolean };

/** Weighs a demand against the stored token. */
export class DemandAssessment {
  constructor(
    private readonly o: RefreshCoordinatorOptions,
    /** How much a token just refreshed may have aged when served (see the coordinator). */
    private readonly settleMs: number,
    private readonly schedule: RefreshSchedule,
    private readonly useMark: UseMark,
  ) {}

  /** Whether the stored token answers the demand, or a refresh is needed (and whether the token may stand in). */
  async assess(
    active: ActiveConnection,
    demand: RefreshDemand,
    firstVersion: number | undefined,
    now: number,
    deadline: Deadline,
  ): Promise<Assessment> {
    const tokens = active.tokens;
    switch (demand.kind) {
      case 'valid': {
        const meets = satisfiesValidity(tokens, demand.minValidityMs, now, this.settleMs);
        return meets && !isDue(tokens, this.o.policy.marginMs, now)
          ? { kind: 'serve', usedKms: false }
          : { kind: 'refresh', fallback: meets };
      }
      case 'proactive': {
        // Ahead by the look-ahead when the policy keeps it ahead (never before half the token's lifetime), or
        // before its refresh token would die (keep-alive).
        if (this.schedule.proactiveDue(active, now, demand.horizonMs)) return { kind: 'refresh', fallback: false };
        await this.useMark.visitNotDue(active, now, demand.horizonMs, deadline);
        return { kind: 'done', refreshed: active.version !== firstVersion };
      }
      case 'forced': {
        // The token came from a forced refresh moments ago: another one now would not cure a rejecting API.
        const since = active.lastForcedRefreshAt === undefined ? Infinity : now - active.lastForcedRefreshAt;
        const young = since < this.o.policy.forcedRefreshMinIntervalMs && isServable(tokens, now);
        // Without a rejected token: a fresh token. One a forced refresh made moments ago is that.
        if (demand.rejectedAccessToken === undefined)
          return young ? { kind: 'serve', usedKms: false } : { kind: 'refresh', fallback: false };
        const usedKms = this.o.sealer.needsKms(active);
        const stored = await this.o.sealer.openAccessToken(active, deadline);
        // Another caller refreshed since this caller's token was issued: the stored token is the answer.
        if (stored !== demand.rejectedAccessToken && isServable(tokens, now))
          return { kind: 'serve', opened: stored, usedKms };
        if (stored === demand.rejectedAccessToken && young) {
          const retryAfterMs = this.o.policy.forcedRefreshMinIntervalMs - since;
          throw new VaultError(
            'rate_limited',
            'The token was refreshed moments ago and another refresh now would not help; retry later.',
            { retryAfterSeconds: retryAfterMs / 1000 },
          );
        }
        return { kind: 'refresh', fallback: false };
      }
    }
  }
}
