/**
 * A refresh under the lease that produced no tokens: a dead refresh token (`invalid_grant`) marks the connection
 * for re-authorization; any other failure gives the lease back, with a cool-down when something was attempted,
 * and announces it at most once per cool-down.
 */
import type { RefreshTrigger } from '../../../src/definitions/metrics';
import { EVENT_DETAIL_TYPES } from '../../contract/events';
import { MESSAGES, VaultError } from '../errors';
import { NO_EVENTS, connectionEvent, type EventPublisher } from '../events/publisher';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import { OAuthError } from '../oauth/errors';
import { StoreError } from '../store/errors';
import type { ActiveConnection, Cooldown, Lease } from '../store/types';
import type { Deadline } from '../time/deadline';
import { CLOCK_SKEW_MS } from './budget';
import { failureCode, messageFor, type RefreshOutcome } from './outcome';
import type { RefresherOptions } from './refresher-options';

/**
 * Fewest milliseconds between two `Connection Refresh Failed` events of one connection: with a cool-down
 * configured shorter (or 0) a failing provider still makes no more than one event per this interval.
 */
export const REFRESH_FAILED_EVENT_FLOOR_MS = 30_000;

/** The refresher's failure step: marks a dead connection, or releases the lease with a cool-down and its event. */
export class RefreshFailure {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly events: EventPublisher;

  constructor(private readonly o: RefresherOptions) {
    this.metrics = o.metrics ?? NO_METRICS;
    this.logger = o.logger ?? NO_LOGS;
    this.events = o.events ?? NO_EVENTS;
  }

  /** `invalid_grant` on our own lease: the refresh token is dead. */
  async invalidGrant(
    connection: ActiveConnection,
    lease: Lease,
    trigger: RefreshTrigger,
    deadline: Deadline,
  ): Promise<RefreshOutcome> {
    const dims = { Application: connection.applicationId };
    this.metrics.count('REFRESH', { ...dims, Trigger: trigger, Result: 'invalid_grant' });
    this.metrics.count('REFRESH_FAILURE', { ...dims, ErrorCode: 'invalid_grant' });
    try {
      await this.o.connections.markReauthorizationRequired(connection, 'invalid_grant', lease.owner, deadline);
    } catch (error) {
      // Moved on meanwhile (revoked, reconnected): read again. Unknown: nothing can be said.
      if (error instanceof StoreError && error.code === 'conflict') return { kind: 'moved' };
      return { kind: 'failed', error: new VaultError('internal_error', MESSAGES.internal, { cause: error }) };
    }
    this.metrics.count('REAUTHORIZATION_REQUIRED', dims);
    this.logger.warn('Connection needs re-authorization.', {
      userId: connection.userId,
      applicationId: connection.applicationId,
      reason: 'invalid_grant',
    });
    await this.events.publish(
      [
        connectionEvent(EVENT_DETAIL_TYPES.reauthorizationRequired, connection, this.o.clock.now(), {
          reason: 'invalid_grant',
          consecutiveFailures: connection.failure?.streak ?? 0,
        }),
      ],
      deadline,
    );
    return { kind: 'ended', error: new VaultError('reauthorization_required', MESSAGES.reauthorizationRequired) };
  }

  /**
   * A refresh that produced no tokens. `attempted`: the provider (or KMS, or Secrets Manager) was called and
   * failed, so the connection cools down; otherwise the lease is only given back.
   */
  async fail(
    connection: ActiveConnection,
    lease: Lease,
    trigger: RefreshTrigger,
    error: unknown,
    deadline: Deadline,
    attempted: boolean,
  ): Promise<RefreshOutcome> {
    const code = failureCode(error);
    const vaultError = error instanceof VaultError ? error : new VaultError(code, messageFor(code), { cause: error });
    let cooldown: Cooldown | undefined;
    let errorCode = 'internal';
    if (attempted) {
      const dims = { Application: connection.applicationId };
      errorCode =
        error instanceof OAuthError
          ? (error.providerError ?? error.code)
          : error instanceof Error && error.name === 'EnvelopeError'
            ? 'kms'
            : 'internal';
      this.metrics.count('REFRESH', { ...dims, Trigger: trigger, Result: code });
      this.metrics.count('REFRESH_FAILURE', { ...dims, ErrorCode: errorCode });
      if (error instanceof OAuthError && !error.isTransient) {
        this.logger.error(
          'Provider rejected the refresh request: operator action needed (client credentials or configuration).',
          {
            userId: connection.userId,
            applicationId: connection.applicationId,
            ...describeError(error),
          },
        );
      } else {
        this.logger.warn('Refresh failed; connection cools down.', {
          userId: connection.userId,
          applicationId: connection.applicationId,
          ...describeError(error),
        });
      }
      const retryAfterMs = error instanceof OAuthError ? (error.retryAfterMs ?? 0) : 0;
      cooldown = { until: this.o.clock.now() + Math.max(this.o.cooldownMs, retryAfterMs), errorCode: code };
    }
    const answer = cooldown
      ? new VaultError(code, messageFor(code), {
          cause: error,
          retryAfterSeconds: (cooldown.until - this.o.clock.now()) / 1000,
        })
      : vaultError;
    // One event per cool-down, and never more often than the floor (a cool-down configured short or 0).
    const now = this.o.clock.now();
    const last = connection.failure?.lastEventAt;
    const announce =
      cooldown !== undefined &&
      (last === undefined || now - last >= Math.max(this.o.cooldownMs, REFRESH_FAILED_EVENT_FLOOR_MS) - CLOCK_SKEW_MS);
    let released: boolean | undefined;
    try {
      released = await this.o.leases.release(connection, lease, cooldown, deadline, announce ? now : undefined);
    } catch {
      released = undefined;
    }
    // A lost answer (then an SDK retry meets our own write as a conflict, or the call times out) may hide a release
    // that landed: the item at this version, without our lease, carrying our announcement time, is our write.
    if (released !== true && announce && deadline.allows(this.o.timing.awsCallMs)) {
      const found = await this.o.connections.get(connection, deadline).catch(() => undefined);
      if (
        found?.status === 'active' &&
        found.version === connection.version &&
        found.lease?.owner !== lease.owner &&
        found.failure?.lastEventAt === now
      )
        released = true;
    }
    if (released === undefined) return { kind: 'failed', error: answer };
    if (!released) return { kind: 'moved' };
    if (announce && cooldown) {
      // Our release committed this failure (fenced on our lease): this container alone decides its event.
      const event = connectionEvent(EVENT_DETAIL_TYPES.refreshFailed, connection, now, {
        failureClass: cooldown.errorCode,
        errorCode: /^[A-Za-z0-9_.:-]{1,64}$/.test(errorCode) ? errorCode : 'other',
        cooldownUntil: new Date(cooldown.until).toISOString(),
        consecutiveFailures: (connection.failure?.streak ?? 0) + 1,
        failingSince: new Date(connection.failure?.since ?? now).toISOString(),
      });
      await this.events.publish([event], deadline);
    }
    // Released at this version: the connection was live then, so its stored token may still be served.
    return {
      kind: 'released',
      connection: { ...connection, ...(cooldown ? { cooldown } : {}) },
      error: answer,
      ...(announce && cooldown && this.events !== NO_EVENTS ? { announced: true } : {}),
    };
  }
}
