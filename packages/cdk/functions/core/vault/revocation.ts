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
import { MESSAGES, VaultError } from '../errors';
import { OAuthError } from '../oauth/errors';
import { EVENT_DETAIL_TYPES } from '../../contract/events';
import { NO_EVENTS, connectionEvent, type ConnectionEvent, type EventPublisher } from '../events/publisher';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { RefreshTiming } from '../refresh/budget';
import type { ProviderGateway } from '../refresh/provider-gateway';
import type { ConnectionStore } from '../store/connection-store';
import { StoreError } from '../store/errors';
import type { PendingRevocations } from '../store/pending-revocations';
import type { Connection, PendingRevocation } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { ApplicationRegistry } from './applications';

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

/** Attempts per connection when a concurrent change (a refresh commit) moves the version under us. */
const CONFLICT_ATTEMPTS = 5;

export class RevocationService {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly events: EventPublisher;

  constructor(private readonly o: RevocationServiceOptions) {
    this.metrics = o.metrics ?? NO_METRICS;
    this.logger = o.logger ?? NO_LOGS;
    this.events = o.events ?? NO_EVENTS;
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
    const committed: Array<{ connection: Connection; at: number; pendingKey?: string }> = [];
    for (const connection of connections) {
      const outcome = await this.revokeInVault(connection, reason, deadline);
      if (outcome !== undefined) committed.push(outcome);
    }
    // The provider is told after the vault's own revocation is committed, within the time left (one AWS call
    // kept back for the events).
    let providerPending = 0;
    const events: ConnectionEvent[] = [];
    for (const { connection, at, pendingKey } of committed) {
      let attempt: ProviderAttempt | 'none' = 'none';
      if (pendingKey !== undefined)
        attempt = await this.attempt(
          userId,
          pendingKey,
          deadline.within(deadline.remaining() - this.o.timing.awsCallMs),
          false,
        );
      if (attempt === 'pending') providerPending++;
      // Decided by this call's markRevoked (fenced on the version): one event per revoked connection.
      events.push(
        connectionEvent(EVENT_DETAIL_TYPES.revoked, connection, at, {
          reason,
          previousStatus: connection.status === 'reauthorization_required' ? 'reauthorization_required' : 'active',
          providerRevocation: attempt,
        }),
      );
    }
    await this.events.publish(events, deadline);
    return { revoked: committed.length, providerPending };
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
    const needs = 2 * this.o.timing.awsCallMs + this.o.timing.providerTimeoutMs;
    if (!deadline.allows(needs) || !this.o.applications.has(pending.applicationId)) return 'pending';
    const dims = { Application: pending.applicationId };
    try {
      await this.tellProvider(pending, deadline);
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

  /** Commits the vault's revocation of one connection (the state it revoked); undefined when it was revoked already. */
  private async revokeInVault(
    initial: Connection,
    reason: RevocationReason,
    deadline: Deadline,
  ): Promise<{ connection: Connection; at: number; pendingKey?: string } | undefined> {
    let connection: Connection | undefined = initial;
    for (let attempt = 0; attempt < CONFLICT_ATTEMPTS && connection; attempt++) {
      if (connection.status === 'revoked') return undefined;
      try {
        const { pendingKey } = await this.o.connections.markRevoked(connection, reason, deadline);
        this.metrics.count('REVOCATION', { Application: connection.applicationId, Reason: reason });
        this.logger.info('Connection revoked.', {
          applicationId: connection.applicationId,
          userId: connection.userId,
          reason,
        });
        const at = deadline.clock.now();
        return pendingKey === undefined ? { connection, at } : { connection, at, pendingKey };
      } catch (error) {
        if (!(error instanceof StoreError && error.code === 'conflict')) throw error;
        // A refresh committed (or a reconnect replaced the connection) meanwhile: revoke what is there now.
        connection = await this.o.connections.get(connection, deadline);
      }
    }
    if (!connection) return undefined;
    throw new VaultError('internal_error', MESSAGES.internal);
  }

  /**
   * Sends the refresh token to the provider's revocation endpoint. Confirmed: any 2xx (RFC 7009 §2.2: also for
   * tokens it does not know) and `unsupported_token_type` (it will never revoke this type). `invalid_client`
   * re-reads the client secret once (it may have been rotated). Anything else throws: not confirmed.
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1
   */
  private async tellProvider(pending: PendingRevocation, deadline: Deadline): Promise<void> {
    const token = await this.o.cipher.open(
      pending,
      pending.encryptedDataKey,
      'refreshToken',
      pending.refreshToken,
      deadline,
    );
    let secret = await this.o.provider.clientSecret(pending.applicationId, deadline);
    for (let reloaded = false; ; reloaded = true) {
      try {
        await this.o.provider.revoke(pending.applicationId, token, secret, {
          signal: deadline.signal(this.o.timing.providerTimeoutMs),
          timeoutMs: this.o.timing.providerTimeoutMs,
        });
        return;
      } catch (error) {
        if (error instanceof OAuthError && error.providerError === 'unsupported_token_type') return;
        if (
          error instanceof OAuthError &&
          error.providerError === 'invalid_client' &&
          !reloaded &&
          deadline.allows(this.o.timing.awsCallMs + this.o.timing.providerTimeoutMs)
        ) {
          const fresh = await this.o.provider.clientSecret(pending.applicationId, deadline, true);
          if (fresh !== secret) {
            secret = fresh;
            continue;
          }
        }
        throw error;
      }
    }
  }
}
