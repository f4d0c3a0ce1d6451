/**
 * The refresh core's orchestrator: answers a demand (a valid token, a forced refresh, a proactive refresh) for
 * one connection, reading, waiting for another container's refresh, or refreshing under the lease.
 *
 * Invariants it keeps (the simulation checks them):
 * - A token is served only when the invocation's last call to AWS or the provider was a strongly consistent read
 *   or a conditional write that found the connection active with that token (the deciding read). After a KMS
 *   call (a cold data key) the connection is read once more. So once revoke has answered, no fetch whose
 *   deciding read comes later can serve a token of the revoked connection.
 * - A refresh (or the takeover of an expired lease) starts only when the invocation's remaining time covers a
 *   whole refresh; the refresher keeps the lease covering every provider attempt (see refresher.ts).
 * - A token answering `minValiditySeconds` has that much validity left (or, when the provider's tokens live
 *   shorter than asked, is in the first half of its life); a forced refresh never answers the rejected token.
 */
import { EVENT_DETAIL_TYPES } from '../../contract/events';
import { NO_EVENTS, connectionEvent, type EventPublisher } from '../events/publisher';
import { randomUUID } from 'node:crypto';
import { MESSAGES, VaultError } from '../errors';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { TokenSealer } from '../crypto/token-sealer';
import type { ConnectionStore } from '../store/connection-store';
import { StoreError } from '../store/errors';
import type { LeaseStore } from '../store/lease-store';
import type { ActiveConnection, Connection, ConnectionKey, Lease } from '../store/types';
import type { Clock } from '../time/clock';
import type { Deadline } from '../time/deadline';
import { wholeRefreshMs, type RefreshTiming } from './budget';
import { triggerOf, type RefreshDemand } from './demand';
import { isDue, isServable, satisfiesValidity } from './policy';
import { RefreshSchedule } from './schedule';
import { endedError, messageFor, type RefreshOutcome, type Refresher } from './refresher';
import { SingleFlight } from './single-flight';

/** An access token as handed to callers. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly scope: string;
}

export interface CoordinatorPolicy {
  /** Refresh this long before expiry (never before half the token's lifetime). */
  readonly marginMs: number;
  /** How long a caller waits for another container's refresh. */
  readonly waitMs: number;
  /**
   * Within this long of a forced refresh, another one of its token is not made: a token rejected right after a
   * forced refresh issued it is not cured by another (an API answering 401 to every token would otherwise cost one
   * provider refresh per call). The first forced refresh after a connect or a due refresh is always made.
   */
  readonly forcedRefreshMinIntervalMs: number;
}

export interface RefreshCoordinatorOptions {
  readonly connections: ConnectionStore;
  readonly leases: LeaseStore;
  readonly sealer: TokenSealer;
  readonly refresher: Refresher;
  readonly timing: RefreshTiming;
  readonly policy: CoordinatorPolicy;
  /** The proactive policy and the keep-alive track. @default every connection ahead of expiry (no use marks) */
  readonly schedule?: RefreshSchedule;
  readonly clock: Clock;
  readonly random: () => number;
  /** Lease owner prefix of this container. @default a random UUID */
  readonly ownerId?: string;
  /** Share one refresh among concurrent callers of this container (off only for the benchmark). @default true */
  readonly coalesce?: boolean;
  readonly metrics?: VaultMetrics;
  readonly logger?: VaultLogger;
  /** Lifecycle events, decided only after the write that makes the change committed. */
  readonly events?: EventPublisher;
}

type Serving =
  | { readonly kind: 'token'; readonly token: IssuedToken }
  | { readonly kind: 'reread'; readonly current: Connection | undefined };

type Assessment =
  /** The stored token answers (`opened`: already decrypted, `usedKms`: that took a KMS call). */
  | { readonly kind: 'serve'; readonly opened?: string; readonly usedKms: boolean }
  /** A refresh is needed; `fallback`: the stored token may answer when no refresh can be made. */
  | { readonly kind: 'refresh'; readonly fallback: boolean }
  /** The sweep has nothing to do here (`refreshed`: a peer refreshed since the first read). */
  | { readonly kind: 'done'; readonly refreshed: boolean };

type Obstacle = 'no_refresh_token' | 'expired_refresh_token' | 'cooldown' | 'leased' | 'no_time';

/** Waiters poll the item between these bounds (jittered) while another container refreshes. */
const POLL_MIN_MS = 50;
const POLL_MAX_MS = 250;

export class RefreshCoordinator {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly ownerId: string;
  private readonly flights: SingleFlight<RefreshOutcome>;
  /**
   * How much a token just refreshed may have aged when served: its lifetime counts from the attempt's request,
   * and the attempt and the write after it (retried until the lease ends) stay inside one lease.
   */
  private readonly settleMs: number;
  private readonly schedule: RefreshSchedule;

  constructor(private readonly o: RefreshCoordinatorOptions) {
    this.schedule = o.schedule ?? RefreshSchedule.all(o.policy.marginMs);
    this.metrics = o.metrics ?? NO_METRICS;
    this.logger = o.logger ?? NO_LOGS;
    this.ownerId = o.ownerId ?? randomUUID();
    this.flights = new SingleFlight(o.coalesce ?? true);
    this.settleMs = o.timing.leaseMs;
  }

  /** A token that answers `demand` (token-fetch, refresh). */
  async getToken(
    key: ConnectionKey,
    demand: Exclude<RefreshDemand, { kind: 'proactive' }>,
    deadline: Deadline,
  ): Promise<IssuedToken> {
    const result = await this.run(key, demand, deadline);
    if (result === true || result === false) throw new VaultError('internal_error', MESSAGES.internal);
    return result;
  }

  /**
   * The sweep's refresh: refreshes when due within `horizonMs`. True when the connection now holds a newer
   * token (refreshed here, or by a peer meanwhile). Opens no token.
   */
  async refreshIfDue(key: ConnectionKey, horizonMs: number, deadline: Deadline): Promise<boolean> {
    const result = await this.run(key, { kind: 'proactive', horizonMs }, deadline);
    return result === true;
  }

  private async run(key: ConnectionKey, demand: RefreshDemand, deadline: Deadline): Promise<IssuedToken | boolean> {
    let connection = await this.read(key, deadline);
    const firstVersion = connection?.version;
    let waitingSince: number | undefined;
    for (;;) {
      const active = requireActive(connection);
      const now = this.o.clock.now();
      const assessment = await this.assess(active, demand, firstVersion, now, deadline);
      if (assessment.kind === 'done') return assessment.refreshed;
      if (assessment.kind === 'serve') {
        const served = await this.serve(active, demand, assessment.opened, assessment.usedKms, deadline);
        if (served.kind === 'token') return served.token;
        connection = served.current;
        continue;
      }
      // A refresh is needed. When none can be made now, the stored token still answers if it meets the demand.
      const without = async (error: VaultError): Promise<IssuedToken | undefined> => {
        if (!assessment.fallback) throw error;
        const served = await this.serve(active, demand, undefined, false, deadline);
        if (served.kind === 'token') return served.token;
        connection = served.current;
        return undefined;
      };
      const obstacle = this.obstacle(active, now, deadline);
      if (obstacle !== undefined && demand.kind === 'proactive') {
        // The sweep leaves it: another container is on it, it cools down, or time is short. A dead token is marked.
        if (obstacle !== 'expired_refresh_token') return false;
      }
      switch (obstacle) {
        case 'no_refresh_token':
          if (assessment.fallback) {
            const token = await without(reauthorizationError());
            if (token) return token;
            continue;
          }
          // A token the API still takes is not destroyed because a caller asked for more than it can give.
          if (isServable(active.tokens, now)) throw reauthorizationError();
          {
            const error = await this.reauthorize(active, 'no_refresh_token', deadline);
            if (error !== 'moved') throw error;
            connection = await this.read(key, deadline);
            continue;
          }
        case 'expired_refresh_token': {
          if (assessment.fallback) {
            const token = await without(reauthorizationError());
            if (token) return token;
            continue;
          }
          const error = await this.reauthorize(active, 'refresh_token_expired', deadline);
          if (error !== 'moved') throw error;
          connection = await this.read(key, deadline);
          continue;
        }
        case 'cooldown': {
          const token = await without(cooldownError(active, now));
          if (token) return token;
          continue;
        }
        case 'leased': {
          // Another container is refreshing: wait for its write (or for its lease to run out), then decide again.
          waitingSince ??= now;
          const waitUntil = Math.min(waitingSince + this.o.policy.waitMs, deadline.at - 3 * this.o.timing.awsCallMs);
          if (now >= waitUntil) {
            const token = await without(unavailable());
            if (token) return token;
            continue;
          }
          await this.o.clock.sleep(
            Math.min(POLL_MIN_MS + Math.floor(this.o.random() * (POLL_MAX_MS - POLL_MIN_MS)), waitUntil - now),
          );
          connection = await this.read(key, deadline);
          continue;
        }
        case 'no_time': {
          const token = await without(unavailable());
          if (token) return token;
          continue;
        }
        case undefined:
          break;
      }
      const flight = this.flights.run(`${key.userId}\u0000${key.applicationId}\u0000${active.version}`, () =>
        this.refreshVersion(active, demand, deadline),
      );
      const outcome = flight.joined ? await this.withinOwnDeadline(flight.promise, deadline) : await flight.promise;
      // An event put after the deciding write sits between that write and the answer: a revoke may have answered
      // meanwhile, so the answer waits for a consistent read that still finds the connection live at that version.
      if (
        (outcome.kind === 'committed' || outcome.kind === 'released') &&
        outcome.announced &&
        demand.kind !== 'proactive'
      ) {
        const current = await this.read(outcome.connection, deadline);
        if (current?.status !== 'active' || current.version !== outcome.connection.version) {
          connection = current;
          continue;
        }
      }
      switch (outcome.kind) {
        case 'committed':
          if (demand.kind === 'proactive') return true;
          if (
            demand.kind === 'forced' ||
            satisfiesValidity(outcome.connection.tokens, demand.minValidityMs, this.o.clock.now(), this.settleMs)
          ) {
            // The commit was the deciding write: the provider's plaintext is served without opening anything.
            return this.issue(outcome.connection, outcome.accessToken);
          }
          connection = outcome.connection;
          continue;
        case 'released': {
          if (demand.kind === 'proactive') throw outcome.error;
          const token = await without(outcome.error);
          if (token) return token;
          continue;
        }
        case 'failed':
        case 'ended':
          throw outcome.error;
        case 'moved':
          connection = 'current' in outcome ? outcome.current : await this.read(key, deadline);
          continue;
      }
    }
  }

  /** Whether the stored token answers the demand, or a refresh is needed (and whether the token may stand in). */
  private async assess(
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
        await this.visitNotDue(active, now, demand.horizonMs, deadline);
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

  /** What stands in the way of refreshing now, if anything. */
  private obstacle(active: ActiveConnection, now: number, deadline: Deadline): Obstacle | undefined {
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

  /**
   * Another caller's refresh, awaited only until this caller must answer: its outcome then is "unavailable"
   * (nothing may be served: this caller's last read is older than that refresh's calls).
   */
  private withinOwnDeadline(work: Promise<RefreshOutcome>, deadline: Deadline): Promise<RefreshOutcome> {
    const signal = deadline.within(deadline.remaining() - 3 * this.o.timing.awsCallMs).signal();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => resolve({ kind: 'failed', error: unavailable() });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Takes the lease at the version read and refreshes under it (one flight per version in this container). */
  private async refreshVersion(
    active: ActiveConnection,
    demand: RefreshDemand,
    deadline: Deadline,
  ): Promise<RefreshOutcome> {
    // One owner id per acquisition, not per container: the commit is fenced on it, so a write from an acquisition
    // whose lease ran out can never pass for a later one's (even in this container).
    const owner = `${this.ownerId}/${randomUUID()}`;
    let lease: Lease | undefined;
    let failure: unknown;
    try {
      lease = await this.o.leases.acquire(active, owner, this.o.timing.leaseMs, deadline);
    } catch (error) {
      failure = error;
    }
    if (!lease) {
      // A lost answer surfaces as an error, or (when the SDK's retry met our own write) as a conflict: read back,
      // and our own owner id on the item means we hold the lease.
      let current: Connection | undefined;
      try {
        current = await this.read(active, deadline);
      } catch (error) {
        return {
          kind: 'failed',
          error: new VaultError('internal_error', MESSAGES.internal, { cause: failure ?? error }),
        };
      }
      if (current?.status !== 'active' || current.version !== active.version || current.lease?.owner !== owner)
        return { kind: 'moved', current };
      lease = current.lease;
    }
    return this.o.refresher.run(active, lease, triggerOf(demand), deadline);
  }

  /**
   * Serves the connection's access token. When opening it needs KMS (or `usedKms` says it already did), the
   * connection is read again: the deciding read must be the last call before the answer. The token must still
   * answer the demand when the answer leaves (a slow KMS call eats validity); otherwise decide again.
   */
  private async serve(
    active: ActiveConnection,
    demand: RefreshDemand,
    opened: string | undefined,
    usedKms: boolean,
    deadline: Deadline,
  ): Promise<Serving> {
    const needsKms = usedKms || (opened === undefined && this.o.sealer.needsKms(active));
    const token = opened ?? (await this.o.sealer.openAccessToken(active, deadline));
    // The used policy's mark is a conditional write that finds the connection live: when it lands, it decides the
    // answer; when it does not (a conflict, or an unknown outcome), the answer waits for a consistent read, as after
    // a KMS call, so a revoke that answered meanwhile is seen.
    const mark = demand.kind === 'proactive' ? 'skipped' : await this.markUsed(active, this.o.clock.now(), deadline);
    if (mark === 'failed' || (needsKms && mark !== 'marked')) {
      const current = await this.read(active, deadline);
      if (current?.status !== 'active' || current.version !== active.version) return { kind: 'reread', current };
    }
    const now = this.o.clock.now();
    const answers =
      demand.kind === 'valid'
        ? satisfiesValidity(active.tokens, demand.minValidityMs, now, this.settleMs)
        : isServable(active.tokens, now);
    return answers ? { kind: 'token', token: this.issue(active, token) } : { kind: 'reread', current: active };
  }

  /**
   * The `used` policy's mark: the first answer with a token records that a caller uses it (one conditional write
   * per access token, across all containers) and puts it on the expiry track, so the proactive refresh gets its
   * successor before it expires. A lost mark only means the next token may be refreshed on demand; the caller
   * re-reads when the mark did not land ('failed'), since the connection may have changed under it.
   */
  private async markUsed(
    active: ActiveConnection,
    now: number,
    deadline: Deadline,
  ): Promise<'marked' | 'skipped' | 'failed'> {
    if (!this.schedule.marksUse || this.schedule.used(active) || !deadline.allows(2 * this.o.timing.awsCallMs))
      return 'skipped';
    try {
      return (await this.o.connections.markFetched(active, now, this.schedule.next(active, true), deadline))
        ? 'marked'
        : 'failed';
    } catch (error) {
      this.logger.warn('The connection could not be marked as used.', {
        userId: active.userId,
        applicationId: active.applicationId,
        ...describeError(error),
      });
      return 'failed';
    }
  }

  /**
   * The proactive refresh visited a connection its policy does not refresh now: when the index still shows it as
   * due (a token nobody used, left on the expiry track), it moves to its next due time, so the sweep does not
   * enqueue it again. Best effort: a failure leaves it to the next visit.
   */
  private async visitNotDue(
    active: ActiveConnection,
    now: number,
    horizonMs: number,
    deadline: Deadline,
  ): Promise<void> {
    if (active.refreshDueAt === undefined || active.refreshDueAt > now + horizonMs) return;
    const next = this.schedule.next(active, this.schedule.used(active));
    if (next <= active.refreshDueAt) return;
    try {
      await this.o.connections.reschedule(active, next, deadline);
    } catch (error) {
      this.logger.warn('The connection could not be rescheduled.', {
        userId: active.userId,
        applicationId: active.applicationId,
        ...describeError(error),
      });
    }
  }

  /**
   * The answer's token. Only Bearer tokens are served: a provider that issues another type (DPoP, MAC) is a
   * configuration problem, answered with an error naming it (the tokens stay stored, so the rotation chain holds).
   */
  private issue(connection: ActiveConnection, accessToken: string): IssuedToken {
    const type = connection.tokens.tokenType;
    if (type !== 'Bearer') {
      this.logger.error('The provider issued a token type the vault cannot serve: operator action needed.', {
        userId: connection.userId,
        applicationId: connection.applicationId,
        tokenType: type,
      });
      throw new VaultError(
        'internal_error',
        `The provider issued a ${type} token; only Bearer tokens can be served (check the provider's client configuration).`,
      );
    }
    return issued(connection, accessToken);
  }

  /** Marks a dead connection; 'moved' when someone changed it first (read again). */
  private async reauthorize(
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

  private read(key: ConnectionKey, deadline: Deadline): Promise<Connection | undefined> {
    return this.o.connections.get(key, deadline);
  }
}

function issued(connection: ActiveConnection, accessToken: string): IssuedToken {
  return {
    accessToken,
    tokenType: connection.tokens.tokenType,
    expiresAt: connection.tokens.accessTokenExpiresAt,
    scope: connection.tokens.scope,
  };
}

/** The connection when it can serve tokens; otherwise the contract's answer for its state. */
export function requireActive(connection: Connection | undefined): ActiveConnection {
  if (connection?.status === 'active') return connection;
  throw endedError(connection?.status);
}

function reauthorizationError(): VaultError {
  return new VaultError('reauthorization_required', MESSAGES.reauthorizationRequired);
}

function unavailable(): VaultError {
  return new VaultError('provider_unavailable', MESSAGES.providerUnavailable, { retryAfterSeconds: 1 });
}

function cooldownError(connection: ActiveConnection, now: number): VaultError {
  const { errorCode, until } = connection.cooldown!;
  return new VaultError(errorCode, messageFor(errorCode), { retryAfterSeconds: (until - now) / 1000 });
}
