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
import { randomUUID } from 'node:crypto';
import { MESSAGES, VaultError } from '../errors';
import type { Connection, ConnectionKey } from '../store/types';
import type { Deadline } from '../time/deadline';
import { DemandAssessment } from './assessment';
import type { IssuedToken, RefreshCoordinatorOptions } from './coordinator-options';
import type { RefreshDemand } from './demand';
import { RefreshObstacles } from './obstacles';
import { cooldownError, reauthorizationError, requireActive, unavailable, type RefreshOutcome } from './outcome';
import { isServable, satisfiesValidity } from './policy';
import { RefreshFlight } from './refresh-flight';
import { RefreshSchedule } from './schedule';
import { TokenServing } from './serving';
import { SingleFlight } from './single-flight';
import { UseMark } from './use-mark';

/** Waiters poll the item between these bounds (jittered) while another container refreshes. */
const POLL_MIN_MS = 50;
const POLL_MAX_MS = 250;

/** Answers the demands on one connection; each step of the decision lives in the file its field names. */
export class RefreshCoordinator {
  private readonly flights: SingleFlight<RefreshOutcome>;
  /**
   * How much a token just refreshed may have aged when served: its lifetime counts from the attempt's request,
   * and the attempt and the write after it (retried until the lease ends) stay inside one lease.
   */
  private readonly settleMs: number;
  /** Whether the stored token answers a demand (see assessment.ts). */
  private readonly assessment: DemandAssessment;
  /** What blocks a refresh now, and the marking of a dead connection (see obstacles.ts). */
  private readonly obstacles: RefreshObstacles;
  /** The serve path (see serving.ts). */
  private readonly serving: TokenServing;
  /** Starting or joining a refresh (see refresh-flight.ts). */
  private readonly refreshes: RefreshFlight;

  constructor(private readonly o: RefreshCoordinatorOptions) {
    const schedule = o.schedule ?? RefreshSchedule.all(o.policy.marginMs);
    this.flights = new SingleFlight(o.coalesce ?? true);
    this.settleMs = o.timing.leaseMs;
    const useMark = new UseMark(o, schedule);
    this.assessment = new DemandAssessment(o, this.settleMs, schedule, useMark);
    this.obstacles = new RefreshObstacles(o);
    this.serving = new TokenServing(o, this.settleMs, useMark);
    this.refreshes = new RefreshFlight(o, o.ownerId ?? randomUUID());
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
      const assessment = await this.assessment.assess(active, demand, firstVersion, now, deadline);
      if (assessment.kind === 'done') return assessment.refreshed;
      if (assessment.kind === 'serve') {
        const served = await this.serving.serve(active, demand, assessment.opened, assessment.usedKms, deadline);
        if (served.kind === 'token') return served.token;
        connection = served.current;
        continue;
      }
      // A refresh is needed. When none can be made now, the stored token still answers if it meets the demand.
      const without = async (error: VaultError): Promise<IssuedToken | undefined> => {
        if (!assessment.fallback) throw error;
        const served = await this.serving.serve(active, demand, undefined, false, deadline);
        if (served.kind === 'token') return served.token;
        connection = served.current;
        return undefined;
      };
      const obstacle = this.obstacles.obstacle(active, now, deadline);
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
            const error = await this.obstacles.reauthorize(active, 'no_refresh_token', deadline);
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
          const error = await this.obstacles.reauthorize(active, 'refresh_token_expired', deadline);
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
        this.refreshes.refreshVersion(active, demand, deadline),
      );
      const outcome = flight.joined
        ? await this.refreshes.withinOwnDeadline(flight.promise, deadline)
        : await flight.promise;
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
            return this.serving.issue(outcome.connection, outcome.accessToken);
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

  private read(key: ConnectionKey, deadline: Deadline): Promise<Connection | undefined> {
    return this.o.connections.get(key, deadline);
  }
}
