/**
 * The work done while holding a connection's refresh lease: prepare, call the provider, store the answer.
 *
 * Invariant: a refresh token is presented to the provider only while this holder's lease covers the attempt,
 * the write after it and the clock skew, and while the invocation's own time does too. So no other container
 * can take the lease over and present the same token while this one may still be using it, and no refresh is
 * cut off by the function's timeout between the provider's answer and the write. Before every attempt (the
 * first, a retry, the re-call after `invalid_client`) the lease is checked and, when short, extended (fenced on
 * owner and version); a lost lease means no attempt.
 *
 * The crash window that remains: a process killed between the provider's answer and the write, or a write that
 * fails for the whole lease (DynamoDB down), loses the rotated refresh token (`WriteAfterRefreshFailed`).
 */
import { randomUUID } from 'node:crypto';
import type { RefreshTrigger } from '../../../src/definitions/metrics';
import { MESSAGES, VaultError } from '../errors';
import type { DataKey } from '../crypto/envelope';
import type { TokenSealer } from '../crypto/token-sealer';
import { OAuthError } from '../oauth/errors';
import type { TokenResponse } from '../oauth/types';
import { EVENT_DETAIL_TYPES } from '../../contract/events';
import { NO_EVENTS, connectionEvent, type EventPublisher } from '../events/publisher';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { ConnectionStore } from '../store/connection-store';
import { StoreError } from '../store/errors';
import type { LeaseStore } from '../store/lease-store';
import type { PendingRevocations } from '../store/pending-revocations';
import type { ActiveConnection, Connection, Cooldown, Lease, StoredTokens } from '../store/types';
import type { Clock } from '../time/clock';
import type { Deadline } from '../time/deadline';
import { fullJitterDelay } from './backoff';
import { CLOCK_SKEW_MS, PROVIDER_ATTEMPTS, attemptNeedsMs, type RefreshTiming } from './budget';
import { RefreshSchedule } from './schedule';
import type { ProviderGateway } from './provider-gateway';

/** How a refresh under the lease ended. */
export type RefreshOutcome =
  /**
   * New tokens stored; the write is this outcome's evidence that the connection is live, unless `announced`: an
   * event was put after it, and the answer then waits for a consistent read (a revoke may have answered meanwhile).
   */
  | {
      readonly kind: 'committed';
      readonly connection: ActiveConnection;
      readonly accessToken: string;
      readonly announced?: boolean;
    }
  /** No new tokens; the lease was given back at this version, which proves the connection still live (`announced`: as above). */
  | {
      readonly kind: 'released';
      readonly connection: ActiveConnection;
      readonly error: VaultError;
      readonly announced?: boolean;
    }
  /** No new tokens and nothing confirmed about the connection: serve nothing. */
  | { readonly kind: 'failed'; readonly error: VaultError }
  /** The connection ended here (re-authorization required) or was found ended (revoked). */
  | { readonly kind: 'ended'; readonly error: VaultError }
  /** The lease or the item moved on: decide anew, from `current` when it was just read. */
  | { readonly kind: 'moved'; readonly current?: Connection | undefined };

export interface RefresherOptions {
  readonly connections: ConnectionStore;
  readonly leases: LeaseStore;
  readonly pending: PendingRevocations;
  readonly sealer: TokenSealer;
  readonly provider: ProviderGateway;
  readonly timing: RefreshTiming;
  /** Due time of the `refresh-due` index: this long before expiry (never before half the lifetime). */
  readonly marginMs: number;
  /** Cool-down after a failed refresh (a provider's Retry-After may lengthen it). */
  readonly cooldownMs: number;
  /** The proactive policy and the keep-alive track: the due time each commit stores. @default every connection ahead of expiry */
  readonly schedule?: RefreshSchedule;
  readonly clock: Clock;
  readonly random: () => number;
  readonly metrics?: VaultMetrics;
  readonly logger?: VaultLogger;
  /** Lifecycle events, decided only after the write that makes the change committed. */
  readonly events?: EventPublisher;
}

/**
 * Fewest milliseconds between two `Connection Refresh Failed` events of one connection: with a cool-down
 * configured shorter (or 0) a failing provider still makes no more than one event per this interval.
 */
export const REFRESH_FAILED_EVENT_FLOOR_MS = 30_000;

export class Refresher {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly events: EventPublisher;

  private readonly schedule: RefreshSchedule;

  constructor(private readonly o: RefresherOptions) {
    this.metrics = o.metrics ?? NO_METRICS;
    this.logger = o.logger ?? NO_LOGS;
    this.schedule = o.schedule ?? RefreshSchedule.all(o.marginMs);
    this.events = o.events ?? NO_EVENTS;
  }

  /** Refreshes `connection`, whose lease this caller holds as `lease`. */
  async run(
    connection: ActiveConnection,
    initialLease: Lease,
    trigger: RefreshTrigger,
    deadline: Deadline,
  ): Promise<RefreshOutcome> {
    const dims = { Application: connection.applicationId };
    let lease = initialLease;
    let refreshToken: string | undefined;
    let dataKey: DataKey;
    let secret: string;
    try {
      // The next data key is made before the provider call: once the provider has rotated the refresh token,
      // only the DynamoDB write remains between its answer and storage.
      [refreshToken, dataKey, secret] = await Promise.all([
        this.o.sealer.openRefreshToken(connection, deadline),
        this.o.sealer.nextDataKey(connection, deadline),
        this.o.provider.clientSecret(connection.applicationId, deadline),
      ]);
    } catch (error) {
      return this.fail(connection, lease, trigger, error, deadline, true);
    }
    if (refreshToken === undefined)
      return this.fail(
        connection,
        lease,
        trigger,
        new VaultError('internal_error', MESSAGES.internal),
        deadline,
        false,
      );
    let reloaded = false;
    for (let attempt = 0; ; attempt++) {
      const room = await this.roomForAttempt(connection, lease, deadline);
      if (room === 'lost') return { kind: 'moved' };
      if (room === 'no_time') {
        return this.fail(
          connection,
          lease,
          trigger,
          new VaultError('provider_unavailable', MESSAGES.providerUnavailable, { retryAfterSeconds: 1 }),
          deadline,
          false,
        );
      }
      lease = room;
      const requestedAt = this.o.clock.now();
      let response: TokenResponse;
      try {
        response = await this.o.provider.refresh(connection.applicationId, refreshToken, secret, {
          signal: deadline.signal(this.o.timing.providerTimeoutMs),
          timeoutMs: this.o.timing.providerTimeoutMs,
        });
      } catch (error) {
        this.metrics.timing('REFRESH_LATENCY', dims, this.o.clock.now() - requestedAt);
        if (error instanceof OAuthError && error.isInvalidGrant)
          return this.invalidGrant(connection, lease, trigger, deadline);
        // The client secret may have been rotated: re-read it once. invalid_client is answered before the grant
        // is looked at, so the refresh token is still unused.
        if (error instanceof OAuthError && error.providerError === 'invalid_client' && !reloaded) {
          reloaded = true;
          try {
            const fresh = await this.o.provider.clientSecret(connection.applicationId, deadline, true);
            if (fresh !== secret) {
              secret = fresh;
              continue;
            }
          } catch (secretError) {
            return this.fail(connection, lease, trigger, secretError, deadline, true);
          }
        }
        const delay = this.retryDelay(error, attempt);
        if (delay !== undefined && deadline.allows(delay + attemptNeedsMs(this.o.timing))) {
          await this.o.clock.sleep(delay);
          continue;
        }
        return this.fail(connection, lease, trigger, error, deadline, true);
      }
      this.metrics.timing('REFRESH_LATENCY', dims, this.o.clock.now() - requestedAt);
      this.metrics.count('REFRESH', { ...dims, Trigger: trigger, Result: 'ok' });
      // RFC 6749 §6: no new refresh token means the old one stays valid; a refresh answer without `scope` means
      // the scope granted before.
      const answer = response.scope === undefined ? { ...response, scope: connection.tokens.scope } : response;
      const tokens = this.o.sealer.seal(
        connection,
        answer,
        response.refreshToken !== undefined
          ? { plaintext: response.refreshToken }
          : {
              plaintext: refreshToken,
              ...(connection.tokens.refreshTokenExpiresAt === undefined
                ? {}
                : { expiresAt: connection.tokens.refreshTokenExpiresAt }),
              ...(connection.tokens.refreshTokenExpiryAssumed ? { expiryAssumed: true } : {}),
            },
        requestedAt,
        dataKey,
      );
      return this.commit(connection, lease, tokens, response, secret, deadline, trigger);
    }
  }

  /**
   * The lease for the next attempt: kept when it still covers attempt + write + skew, else extended. 'lost' when
   * another owner has it now; 'no_time' when the invocation cannot fit an attempt and its write.
   */
  private async roomForAttempt(
    connection: ActiveConnection,
    lease: Lease,
    deadline: Deadline,
  ): Promise<Lease | 'lost' | 'no_time'> {
    const needs = attemptNeedsMs(this.o.timing);
    if (!deadline.allows(needs)) return 'no_time';
    if (lease.expiresAt - this.o.clock.now() >= needs) return lease;
    if (!deadline.allows(this.o.timing.awsCallMs + needs)) return 'no_time';
    try {
      const extended = await this.o.leases.extend(connection, lease, this.o.timing.leaseMs, deadline);
      if (!extended) return 'lost';
      return deadline.allows(needs) ? extended : 'no_time';
    } catch {
      // The extension's fate is unknown: without a lease known to cover the attempt, no attempt.
      return 'no_time';
    }
  }

  /** Delay before another attempt, or undefined when the error must not be retried (the token may be consumed). */
  private retryDelay(error: unknown, attempt: number): number | undefined {
    if (!(error instanceof OAuthError) || !error.isSafeToRetry || attempt + 1 >= PROVIDER_ATTEMPTS) return undefined;
    return error.retryAfterMs ?? fullJitterDelay(attempt, 200, 2000, this.o.random);
  }

  /**
   * Stores the new tokens, fenced on this lease and version, retried while the lease and the deadline last. A
   * conflict is read back: our own write whose answer was lost, a revoke (then the new refresh token is revoked
   * too, as the user asked), or a reconnect that replaced the connection.
   */
  private async commit(
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
  private async committed(
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

  private async afterConflict(
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
  private async revokeSuccessor(
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
  private async recordSuccessor(
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

  /** `invalid_grant` on our own lease: the refresh token is dead. */
  private async invalidGrant(
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
  private async fail(
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** The answer for a connection found ended by another writer. */
export function endedError(status: 'reauthorization_required' | 'revoked' | 'active' | undefined): VaultError {
  if (status === 'reauthorization_required')
    return new VaultError('reauthorization_required', MESSAGES.reauthorizationRequired);
  return new VaultError('not_connected', MESSAGES.notConnected);
}

export function failureCode(error: unknown): Cooldown['errorCode'] {
  if (error instanceof VaultError && (error.code === 'rate_limited' || error.code === 'provider_unavailable'))
    return error.code;
  if (error instanceof OAuthError) {
    if (error.code === 'rate_limited') return 'rate_limited';
    return error.isTransient ? 'provider_unavailable' : 'internal_error';
  }
  return 'internal_error';
}

export function messageFor(code: Cooldown['errorCode']): string {
  return code === 'rate_limited'
    ? MESSAGES.rateLimited
    : code === 'provider_unavailable'
      ? MESSAGES.providerUnavailable
      : MESSAGES.internal;
}
