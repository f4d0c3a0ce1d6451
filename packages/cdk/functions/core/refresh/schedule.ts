/**
 * The refresh schedule of a vault: the proactive policy (`used`, `all`, `none`), the refresh margin and the
 * keep-alive track, applied to one connection. Every writer of the due index asks it (the commit of a refresh,
 * the `lastFetchedAt` mark, the worker's visit of a token nobody used), and the worker asks it whether a
 * connection is due; the pure rules are in policy.ts.
 */
import type { ActiveConnection } from '../store/types';
import { isDue, lifetimeMs, keepAliveAt, nextDueAt, wasUsed, type KeepAlive, type ProactiveRefresh } from './policy';

/** The proactive policy and the keep-alive track's settings. */
export interface RefreshScheduleOptions {
  /** Which connections the proactive refresh keeps ahead of expiry (`used`, `all`, `none`). */
  readonly policy: ProactiveRefresh;
  /** Refresh this long before expiry (never before half the token's lifetime). */
  readonly marginMs: number;
  /** Keep-alive refreshes come this long before a refresh token would die. */
  readonly keepAliveLeadMs: number;
  /**
   * The provider's idle limit of an application's refresh tokens, when its profile states one.
   * @default - no application has an idle limit
   */
  readonly idleLimitMs?: (applicationId: string) => number | undefined;
}

type Scheduled = Pick<ActiveConnection, 'applicationId' | 'tokens' | 'lastFetchedAt'>;

export class RefreshSchedule {
  /** Every connection ahead of expiry: what a core built without a schedule does. */
  static all(marginMs: number): RefreshSchedule {
    return new RefreshSchedule({ policy: 'all', marginMs, keepAliveLeadMs: 2 * 24 * 60 * 60 * 1000 });
  }

  constructor(readonly o: RefreshScheduleOptions) {}

  get policy(): ProactiveRefresh {
    return this.o.policy;
  }

  /** Whether token-fetch marks a token as used (only the `used` policy reads the mark). */
  get marksUse(): boolean {
    return this.o.policy === 'used';
  }

  used(connection: Scheduled): boolean {
    return wasUsed(connection.tokens, connection.lastFetchedAt);
  }

  /** The due time to store for this connection, given whether its current token counts as used. */
  next(connection: Pick<Scheduled, 'applicationId' | 'tokens'>, used: boolean): number {
    return nextDueAt(
      this.o.policy,
      connection.tokens,
      connection.tokens.refreshToken !== undefined,
      used,
      this.o.marginMs,
      this.keepAlive(connection.applicationId),
    );
  }

  /**
   * Whether the proactive refresh refreshes it now (looking `horizonMs` ahead): on the expiry track past half its
   * token's life when the policy keeps it ahead, or on the keep-alive track.
   */
  proactiveDue(connection: Scheduled, now: number, horizonMs: number): boolean {
    const { tokens } = connection;
    const ahead = this.o.policy === 'all' || (this.o.policy === 'used' && this.used(connection));
    // Never before half the token's lifetime (a long look-ahead would otherwise refresh every token every sweep).
    if (
      ahead &&
      isDue(tokens, this.o.marginMs, now, horizonMs) &&
      now >= tokens.accessTokenIssuedAt + lifetimeMs(tokens) / 2
    )
      return true;
    const alive = keepAliveAt(tokens, tokens.refreshToken !== undefined, this.keepAlive(connection.applicationId));
    return alive !== undefined && alive <= now + horizonMs;
  }

  private keepAlive(applicationId: string): KeepAlive {
    const idle = this.o.idleLimitMs?.(applicationId);
    return { leadMs: this.o.keepAliveLeadMs, ...(idle === undefined ? {} : { idleLimitMs: idle }) };
  }
}
