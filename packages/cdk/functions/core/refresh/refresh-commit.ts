/**
 * Storing a refresh's answer under the lease: the fenced commit retried while the lease lasts, the read-back of a
 * write whose answer was lost, and what a conflict means (our own write, a revoke, or a reconnect). A successor
 * that can't be stored is revoked at the provider or left to the sweep.
 */
import { randomUUID } from 'node:crypto';
import type { RefreshTrigger } from '../../../src/definitions/metrics';
import { EVENT_DETAIL_TYPES } from '../../contract/events';
import { MESSAGES, VaultError } from '../errors';
import { NO_EVENTS, connectionEvent, type EventPublisher } from '../events/publisher';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { TokenResponse } from '../oauth/types';
import { StoreError } from '../store/errors';
import type { ActiveConnection, Lease, StoredTokens } from '../store/types';
import type { Deadline } from '../time/deadline';
import { fullJitterDelay } from './backoff';
import { CLOCK_SKEW_MS } from './budget';
import { endedError, type RefreshOutcome } from './outcome';
import type { RefresherOptions } from './refresher-options';
import type { RefreshSchedule } from './schedule';

/** The refresher's write step: stores the provider's answer fenced on the lease and decides the outcome. */
export class RefreshCommit {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly events: EventPublisher;

  constructor(
    private readonly o: RefresherOptions,
    private readonly schedule: RefreshSchedule,
  ) {
    this.metrics = o.metrics ?? NO_METRICS;
    this.logger = o.logger ?? NO_LOGS;
    this.events = o.events ?? NO_EVENTS;
  }

  /**
   * Stores the new tokens, fenced on this lease and version, retried while the lease and the deadline last. A
   * conflict is read back: our own write whose answer was lost, a revoke (then the new refresh token is revoked
   * too, as the user asked), or a reconnect that replaced the connection.
   */
  async commit(
    connection: ActiveConnection,
    lease: Lease,
    tokens: StoredTokens,
    response: TokenResponse,
    secret: string,
    deadline: Deadline,
    trigger: RefreshTrigger,
  ): Promise<RefreshOutcome> {
    // Another container may take the lease over once its own clock passes the expiry: stop writing before that.
    const until = Math.min(deadline.at, lease.expiresAt - CLOCK_SKEW_MS);
    const forced = trigger === 'forced';
    // A refresh for a caller serves its new token: used. A proactive one keeps the successor of a used token on
    // the expiry track (a session goes on), and sends an unused one's to the keep-alive track.
    const fetchedAt = trigger === 'proactive' ? undefined : this.o.clock.now();
    const due = this.schedule.next(
      { applicationId: connection.applicationId, tokens },
      trigger === 'proactive' ? this.schedule.used(connection) : true,
    );
    let lastError: unknown;
    // Retried (capped backoff) for as long as the lease and the deadline last: after the provider rotated the
    // token, giving up early only loses it.
    for (let attempt = 0; ; attempt++) {
      const window = deadline.within(until - this.o.clock.now());
      if (window.remaining() <= 0) break;
      try {
        const committed = await this.o.leases.commit(connection, lease, tokens, due, window, forced, fetchedAt);
        return this.committed(connection, committed, response.accessToken, deadline);
      } catch (error) {
        lastError = error;
        if (error instanceof StoreError && error.code === 'conflict')
          return this.afterConflict(connection, tokens, response, secret, deadline);
        await this.o.clock.sleep(
          Math.min(
            fullJitterDelay(Math.min(attempt, 5), 100, 3000, this.o.random),
            Math.max(0, until - this.o.clock.now()),
          ),
        );
      }
    }
    // A write whose answer was lost may have landed: read back before calling it failed.
    const found = await this.o.connections.get(connection, deadline).catch(() => undefined);
    if (
      found?.status === 'active' &&
      found.version === connection.version + 1 &&
      sameBytes(found.tokens.accessToken, tokens.accessToken)
    ) {
      return this.committed(connection, found, response.accessToken, deadline);
    }
    if (found !== undefined && found.version !== connection.version)
      return this.afterConflict(connection, tokens, response, secret, deadline);
    this.metrics.count('WRITE_AFTER_REFRESH_FAILED', { Application: connection.applicationId });
    this.logger.error('Refreshed tokens could not be stored; the rotated refresh token may be lost.', {
      userId: connection.userId,
      applicationId: connection.applicationId,
      ...describeError(lastError),
    });
    return { kind: 'failed', error: new VaultError('internal_error', MESSAGES.internal, { cause: lastError }) };
  }

  /**
   * Our commit is known to have landed (its answer, or a read-back of exactly our write). It ended a failure
   * streak when the item we committed over had one: only the lease holder writes the streak, so the connection
   * this lease was taken at is the state the commit replaced.
   */
  async committed(
    before: ActiveConnection,
    committed: ActiveConnection,
    accessToken: string,
    deadline: Deadline,
  ): Promise<RefreshOutcome> {
    if (before.failure !== undefined) {
      const failure = before.failure;
      const at = Date.parse(committed.updatedAt);
      await this.events.publish(
        [
          connectionEvent(EVENT_DETAIL_TYPES.recovered, committed, Number.isFinite(at) ? at : this.o.clock.now(), {
            failingSince: new Date(failure.since).toISOString(),
            consecutiveFailures: failure.streak,
          }),
        ],
        deadline,
      );
      return { kind: 'committed', connection: committed, accessToken, announced: this.events !== NO_EVENTS };
    }
    return { kind: 'committed', connection: committed, accessToken };
  }

  async afterConflict(
    connection: ActiveConnection,
    tokens: StoredTokens,
    response: TokenResponse,
    secret: string,
    deadline: Deadline,
  ): Promise<RefreshOutcome> {
    let current;
    for (let attempt = 0; ; attempt++) {
      try {
        current = await this.o.connections.get(connection, deadline);
        break;
      } catch (error) {
        // What happened to the connection decides whether the new refresh token must be revoked (a revoke came
        // first) or is the stored one (our own write, whose answer was lost): keep asking while there is time for
        // the answer and a revocation. Unanswered, it is left alone: revoking a token we may have stored would log
        // the user out.
        if (!deadline.allows(2 * this.o.timing.awsCallMs + this.o.timing.providerTimeoutMs)) {
          return { kind: 'failed', error: new VaultError('internal_error', MESSAGES.internal, { cause: error }) };
        }
        await this.o.clock.sleep(fullJitterDelay(Math.min(attempt, 5), 50, 1000, this.o.random));
      }
    }
    if (
      current?.status === 'active' &&
      current.version === connection.version + 1 &&
      sameBytes(current.tokens.accessToken, tokens.accessToken)
    ) {
      // Our write landed and its answer was lost; the SDK's retry then met it as a conflict.
      return this.committed(connection, current, response.accessToken, deadline);
    }
    // The successor can't be stored: the connection was revoked (the user asked for its tokens to end), or a
    // reconnect replaced it (its grant is being replaced too, where the provider makes one per authorization).
    const replaced = current !== undefined && current.connectionId !== connection.connectionId;
    const revokeIt =
      current?.status === 'revoked' ||
      (replaced && this.o.provider.revokesReplacedRefreshTokens(connection.applicationId));
    if (revokeIt && response.refreshToken !== undefined && tokens.refreshToken !== undefined) {
      await this.revokeSuccessor(
        connection,
        response.refreshToken,
        { encryptedDataKey: tokens.encryptedDataKey, refreshToken: tokens.refreshToken },
        secret,
        deadline,
      );
    }
    if (current?.status === 'active') {
      this.logger.info('Refresh superseded by a reconnection.', {
        userId: connection.userId,
        applicationId: connection.applicationId,
      });
      return { kind: 'moved' };
    }
    return { kind: 'ended', error: endedError(current?.status) };
  }

  /**
   * A revoke ended the connection while the provider rotated its refresh token: the successor is live at the
   * provider and the user asked for it to end. Revoked now if time allows, else left to the sweep.
   */
  async revokeSuccessor(
    connection: ActiveConnection,
    successor: string,
    sealed: { encryptedDataKey: Uint8Array; refreshToken: Uint8Array },
    secret: string,
    deadline: Deadline,
  ): Promise<void> {
    if (deadline.allows(this.o.timing.providerTimeoutMs + this.o.timing.awsCallMs)) {
      try {
        await this.o.provider.revoke(connection.applicationId, successor, secret, {
          signal: deadline.signal(this.o.timing.providerTimeoutMs),
          timeoutMs: this.o.timing.providerTimeoutMs,
        });
        return;
      } catch (error) {
        this.logger.warn('Revoking the refresh token rotated during a revoke failed; left to the sweep.', {
          applicationId: connection.applicationId,
          ...describeError(error),
        });
      }
    }
    await this.recordSuccessor(connection, sealed, deadline);
  }

  /** Leaves a successor that can't be stored to the sweep, to be revoked at the provider. */
  async recordSuccessor(
    connection: ActiveConnection,
    sealed: { encryptedDataKey: Uint8Array; refreshToken: Uint8Array },
    deadline: Deadline,
  ): Promise<void> {
    try {
      await this.o.pending.add(connection, sealed, 'revoked_during_refresh', randomUUID(), deadline);
    } catch (error) {
      this.logger.error('A refresh token rotated during a revoke could not be recorded for revocation.', {
        userId: connection.userId,
        applicationId: connection.applicationId,
        ...describeError(error),
      });
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
