/**
 * Revocation. The vault's own revocation comes first and is one transaction: the connection is marked revoked
 * with all token material removed from it, a record of when and why is written, the user's pending
 * authorization flows for it are ended, and the refresh token (still sealed) moves into a pending-revocation
 * item. Only then is the provider told (RFC 7009, `token_type_hint=refresh_token`); when it confirms, the
 * pending item goes. What it does not confirm in this call, the scheduled sweep retries until it does.
 *
 * Once revoke has answered, no token-fetch serves a token of the connection: the revocation is committed
 * before the answer, and every served token comes from a strongly consistent read made after it.
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
import type { RevocationReason } from '../../contract/requests';
import type { EnvelopeCipher } from '../crypto/envelope';
import { OAuthError } from '../oauth/errors';
import { EVENT_DETAIL_TYPES } from '../../contract/events';
import { NO_EVENTS, connectionEvent, type EventPublisher } from '../events/publisher';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { RefreshTiming } from '../refresh/budget';
import type { ProviderGateway } from '../refresh/provider-gateway';
import type { ConnectionStore } from '../store/connection-store';
import type { PendingRevocations } from '../store/pending-revocations';
import type { Connection } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { ApplicationRegistry } from './applications';
import { attemptMs, tellProvider } from './provider-revocation';
import { RevocationCommit, type Committed } from './revocation-commit';

/** The revocation service's dependencies. */
export interface RevocationServiceOptions {
  /** The configured applications (`'*'` revokes all of a user's). */
  readonly applications: ApplicationRegistry;
  /** The connections table: the revoke transaction and its records. */
  readonly connections: ConnectionStore;
  /** Refresh tokens waiting for the provider's confirmation of their revocation. */
  readonly pending: PendingRevocations;
  /** Opens a pending refresh token to present it at the provider. */
  readonly cipher: EnvelopeCipher;
  /** The provider's revocation endpoint and the client secret. */
  readonly provider: ProviderGateway;
  /** The time one AWS call and one provider call may take. */
  readonly timing: RefreshTiming;
  /**
   * Where counts and latencies go.
   * @default - nothing is recorded
   */
  readonly metrics?: VaultMetrics;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
  /**
   * Lifecycle events, decided only after the write that makes the change committed.
   * @default - no events are published
   */
  readonly events?: EventPublisher;
}

/** What became of one provider revocation attempt. */
type ProviderAttempt = 'confirmed' | 'unsupported' | 'pending';

export interface RevokeResult {
  /** Connections this call revoked (a repeated revoke answers 0). */
  readonly revoked: number;
  /** Of their refresh tokens, how many the provider has not confirmed yet (the sweep retries them). */
  readonly providerPending: number;
}

export class RevocationService {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly events: EventPublisher;
  /** The vault's own revocation of one connection (revocation-commit.ts). */
  private readonly commits: RevocationCommit;

  constructor(private readonly o: RevocationServiceOptions) {
    this.metrics = o.metrics ?? NO_METRICS;
    this.logger = o.logger ?? NO_LOGS;
    this.events = o.events ?? NO_EVENTS;
    this.commits = new RevocationCommit(o.connections, this.metrics, this.logger);
  }

  /** Revokes one connection, or every connection of the user. */
  async revoke(
    request: { userId: string; applicationId?: string; reason: RevocationReason },
    deadline: Deadline,
  ): Promise<RevokeResult> {
    const { userId, applicationId, reason } = request;
    if (applicationId !== undefined) this.o.applications.require(applicationId);
    let connections: Connection[];
    if (applicationId === undefined) {
      // Flows of every application end, also of those the user has no connection with yet.
      await this.o.connections.endFlows(userId, '*', deadline);
      connections = await this.o.connections.listForUser(userId, deadline);
    } else {
      // Flows end before the connection is read: a callback saving between the read and this write would
      // otherwise connect after the revoke answered.
      await this.o.connections.endFlows(userId, applicationId, deadline);
      const connection = await this.o.connections.get({ userId, applicationId }, deadline);
      connections = connection ? [connection] : [];
    }
    const committed: Committed[] = [];
    try {
      for (const connection of connections) {
        const outcome = await this.commits.commit(connection, reason, deadline);
        if (outcome !== undefined) committed.push(outcome);
      }
    } catch (error) {
      // A later connection's commit failed: those committed before it are revoked all the same, so their events
      // go out (their provider revocations are left to the sweep); the caller's retry revokes the rest.
      await this.publishRevoked(
        committed.map((c) => ({ ...c, attempt: c.pendingKey === undefined ? 'none' : 'pending' })),
        reason,
        deadline,
      );
      throw error;
    }
    // The provider is told after the vault's own revocation is committed, within the time left (one AWS call
    // kept back for the events). Nothing that fails from here on undoes a commit: it leaves the provider's part
    // pending for the sweep, and the answer and the events say what was committed.
    const told: Array<Committed & { attempt: ProviderAttempt | 'none' }> = [];
    for (const c of committed) {
      const attempt =
        c.pendingKey === undefined
          ? 'none'
          : await this.firstAttempt(
              c.connection.applicationId,
              userId,
              c.pendingKey,
              deadline.within(deadline.remaining() - this.o.timing.awsCallMs),
            );
      told.push({ ...c, attempt });
    }
    await this.publishRevoked(told, reason, deadline);
    return { revoked: committed.length, providerPending: told.filter((c) => c.attempt === 'pending').length };
  }

  /** One `Connection Revoked` per connection this call's markRevoked committed (fenced on the version). */
  private async publishRevoked(
    revoked: ReadonlyArray<Committed & { attempt: ProviderAttempt | 'none' }>,
    reason: RevocationReason,
    deadline: Deadline,
  ): Promise<void> {
    if (revoked.length === 0) return;
    await this.events.publish(
      revoked.map(({ connection, at, attempt }) =>
        connectionEvent(EVENT_DETAIL_TYPES.revoked, connection, at, {
          reason,
          previousStatus: connection.status === 'reauthorization_required' ? 'reauthorization_required' : 'active',
          providerRevocation: attempt,
        }),
      ),
      deadline,
    );
  }

  /**
   * Revoke's own provider attempt, after the commit. Whatever fails in it (the pending item's read, opening the
   * token, the secret, the provider, the confirming delete) leaves the revocation pending: the pending item
   * stays and the sweep retries it. Skipped, without a call, when the read and a whole attempt do not fit.
   */
  private async firstAttempt(
    applicationId: string,
    userId: string,
    itemKey: string,
    deadline: Deadline,
  ): Promise<ProviderAttempt> {
    if (!deadline.allows(this.o.timing.awsCallMs + attemptMs(this.o.timing))) return 'pending';
    try {
      return await this.attempt(userId, itemKey, deadline, false);
    } catch (error) {
      this.metrics.count('PROVIDER_REVOCATION', { Application: applicationId, Result: 'pending' });
      this.logger.warn('Provider revocation not completed after the revoke committed; the sweep retries it.', {
        applicationId,
        ...describeError(error),
      });
      return 'pending';
    }
  }

  /**
   * Tells the provider about one pending revocation (the sweep's retry). True when the provider confirmed it (or
   * it was confirmed before). A confirmation this call records is announced (`Provider Revocation Confirmed`).
   */
  async retryRevocation(userId: string, itemKey: string, deadline: Deadline): Promise<boolean> {
    return (await this.attempt(userId, itemKey, deadline, true)) !== 'pending';
  }

  /** One attempt at the provider; `announce`: publish the confirmation (the sweep's, not revoke's first try). */
  private async attempt(
    userId: string,
    itemKey: string,
    deadline: Deadline,
    announce: boolean,
  ): Promise<ProviderAttempt> {
    const pending = await this.o.pending.get(userId, itemKey, deadline);
    if (!pending) return 'confirmed';
    if (!deadline.allows(attemptMs(this.o.timing)) || !this.o.applications.has(pending.applicationId)) return 'pending';
    const dims = { Application: pending.applicationId };
    try {
      await tellProvider(this.o, pending, deadline);
    } catch (error) {
      if (error instanceof OAuthError && error.code === 'revocation_unsupported') {
        // Nothing to retry: the provider offers no revocation. The record keeps saying "not confirmed".
        this.logger.warn(
          'The provider has no revocation endpoint; the refresh token was removed from the vault only.',
          { applicationId: pending.applicationId },
        );
        await this.o.pending.confirm(pending, deadline, { providerConfirmed: false });
        return 'unsupported';
      }
      this.metrics.count('PROVIDER_REVOCATION', { ...dims, Result: 'pending' });
      this.logger.warn('Provider revocation failed; the sweep retries it.', {
        applicationId: pending.applicationId,
        attempts: pending.attempts + 1,
        ...describeError(error),
      });
      await this.o.pending.retryLater(pending, deadline).catch(() => undefined);
      return 'pending';
    }
    const deleted = await this.o.pending.confirm(pending, deadline);
    this.metrics.count('PROVIDER_REVOCATION', { ...dims, Result: 'confirmed' });
    // Only the call whose conditional delete removed the item announces it: two sweeps make one event.
    if (deleted && announce) {
      const at = deadline.clock.now();
      await this.events.publish(
        [
          connectionEvent(
            EVENT_DETAIL_TYPES.providerRevocationConfirmed,
            { userId: pending.userId, applicationId: pending.applicationId, connectionId: null },
            at,
            {
              reason: /^[A-Za-z0-9_.:-]{1,64}$/.test(pending.reason) ? pending.reason : 'other',
              pendingSince: new Date(pending.since).toISOString(),
              attempts: pending.attempts + 1,
            },
          ),
        ],
        deadline,
      );
    }
    return 'confirmed';
  }
}
