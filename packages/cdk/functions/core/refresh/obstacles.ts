/**
 * What stands in the way of a refresh now (a peer's lease, a cool-down, a dead or missing refresh token, too little
 * time), and the marking of a connection whose refresh token is dead.
 */
import { EVENT_DETAIL_TYPES } from '../../contract/events';
import { NO_EVENTS, connectionEvent } from '../events/publisher';
import { NO_LOGS, NO_METRICS, type VaultLogger, type VaultMetrics } from '../observability';
import type { VaultError } from '../errors';
import { StoreError } from '../store/errors';
import type { ActiveConnection } from '../store/types';
import type { Deadline } from '../time/deadline';
import { wholeRefreshMs } from './budget';
import type { RefreshCoordinatorOptions } from './coordinator-options';
import { reauthorizationError } from './outcome';

/** Why no refresh can be made now. */
export type Obstacle = 'no_refresh_token' | 'expired_refresh_token' | 'cooldown' | 'leased' | 'no_time';

/** Finds what blocks a refresh, and marks a connection that can no longer be refreshed. */
export class RefreshObstacles {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;

  constructor(private readonly o: RefreshCoordinatorOptions) {
    this.metrics = o.metrics ?? NO_METRICS;
    this.logger = o.logger ?? NO_LOGS;
  }

  /** What stands in the way of refreshing now, if anything. */
  obstacle(active: ActiveConnection, now: number, deadline: Deadline): Obstacle | undefined {
    const tokens = active.tokens;
    if (tokens.refreshToken === undefined) return 'no_refresh_token';
    // Another container's refresh comes first: its outcome decides (and a dead token can't be marked under it).
    if (active.lease !== undefined && active.lease.expiresAt >= now) return 'leased';
    // An assumed expiry is only a guess: the provider's invalid_grant decides.
    if (
      tokens.refreshTokenExpiresAt !== undefined &&
      tokens.refreshTokenExpiresAt <= now &&
      !tokens.refreshTokenExpiryAssumed
    )
      return 'expired_refresh_token';
    if (active.cooldown !== undefined && active.cooldown.until > now) return 'cooldown';
    if (!deadline.allows(wholeRefreshMs(this.o.timing))) return 'no_time';
    return undefined;
  }

  /** Marks a dead connection; 'moved' when someone changed it first (read again). */
  async reauthorize(
    active: ActiveConnection,
    reason: 'no_refresh_token' | 'refresh_token_expired',
    deadline: Deadline,
  ): Promise<VaultError | 'moved'> {
    try {
      await this.o.connections.markReauthorizationRequired(active, reason, undefined, deadline);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'conflict') return 'moved';
      throw error;
    }
    this.metrics.count('REAUTHORIZATION_REQUIRED', { Application: active.applicationId });
    this.logger.warn('Connection needs re-authorization.', {
      userId: active.userId,
      applicationId: active.applicationId,
      reason,
    });
    await (this.o.events ?? NO_EVENTS).publish(
      [
        connectionEvent(EVENT_DETAIL_TYPES.reauthorizationRequired, active, this.o.clock.now(), {
          reason,
          consecutiveFailures: active.failure?.streak ?? 0,
        }),
      ],
      deadline,
    );
    return reauthorizationError();
  }
}
