/**
 * The vault's own revocation of one connection: one transaction (connection marked revoked with its token
 * material removed, the record, the flows marker, the pending-revocation item), retried against concurrent changes,
 * and read back when its answer was lost, so that a committed revocation is never answered as an error while a
 * consistent read can tell (revocation.ts tells the provider afterwards).
 */
import type { RevocationReason } from '../../contract/requests';
import { MESSAGES, VaultError } from '../errors';
import { describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { ConnectionStore } from '../store/connection-store';
import { revocationPendingKey } from '../store/connection-writes';
import { StoreError } from '../store/errors';
import type { Connection } from '../store/types';
import type { Deadline } from '../time/deadline';

/** A connection this call revoked in the vault, when, and its pending revocation item (when it had a refresh token). */
export interface Committed {
  readonly connection: Connection;
  readonly at: number;
  readonly pendingKey?: string;
}

/** Attempts per connection when a concurrent change (a refresh commit) moves the version under us. */
const CONFLICT_ATTEMPTS = 5;

export class RevocationCommit {
  constructor(
    private readonly connections: ConnectionStore,
    private readonly metrics: VaultMetrics,
    private readonly logger: VaultLogger,
  ) {}

  /**
   * Commits the vault's revocation of one connection (the state it revoked); undefined when it was revoked already.
   * A write that answered `unavailable` may have been applied: a consistent re-read tells (our commit is the
   * connection revoked at the next version with this call's `revokedAt` and reason). When it was not applied, the
   * write is tried once more if the re-read shows the connection unchanged; when even the re-read fails, the error
   * stands (docs/contract.md: then a commit may lie behind an error answer).
   */
  async commit(initial: Connection, reason: RevocationReason, deadline: Deadline): Promise<Committed | undefined> {
    let connection: Connection | undefined = initial;
    let unknownRetried = false;
    for (let attempt = 0; attempt < CONFLICT_ATTEMPTS && connection; attempt++) {
      if (connection.status === 'revoked') return undefined;
      const at = deadline.clock.now();
      try {
        const { pendingKey } = await this.connections.markRevoked(connection, reason, deadline, at);
        return this.committed(connection, reason, at, pendingKey);
      } catch (error) {
        if (!(error instanceof StoreError) || error.code === 'corrupt') throw error;
        const before: Connection = connection;
        // conflict: a refresh committed (or a reconnect replaced the connection) meanwhile: revoke what is there
        // now. unavailable: the fate of the write is unknown until this read.
        const now: Connection | undefined = await this.connections.get(before, deadline).catch((readError: unknown) => {
          if (error.code === 'conflict') throw readError;
          this.logger.error('A revoke write failed and the re-read telling whether it was applied failed too.', {
            applicationId: before.applicationId,
            ...describeError(readError),
          });
          throw error;
        });
        if (error.code === 'unavailable') {
          if (now !== undefined && isOwnRevocation(before, now, reason, at)) {
            return this.committed(
              before,
              reason,
              at,
              hadRefreshToken(before) ? revocationPendingKey(before) : undefined,
            );
          }
          const unchanged = now !== undefined && now.status === before.status && now.version === before.version;
          // Once more only: a store that keeps failing is answered with its error, within the call's time.
          if (unchanged && unknownRetried) throw error;
          if (unchanged) unknownRetried = true;
        }
        connection = now;
      }
    }
    if (!connection) return undefined;
    throw new VaultError('internal_error', MESSAGES.internal);
  }

  /** Records a committed revocation (metric, log) and what the rest of revoke needs of it. */
  private committed(connection: Connection, reason: RevocationReason, at: number, pendingKey?: string): Committed {
    this.metrics.count('REVOCATION', { Application: connection.applicationId, Reason: reason });
    this.logger.info('Connection revoked.', {
      applicationId: connection.applicationId,
      userId: connection.userId,
      reason,
    });
    return pendingKey === undefined ? { connection, at } : { connection, at, pendingKey };
  }
}

/** Whether markRevoked wrote a pending-revocation item for this state (an active connection with a refresh token). */
function hadRefreshToken(connection: Connection): boolean {
  return connection.status === 'active' && connection.tokens.refreshToken !== undefined;
}

/**
 * Whether `now` is what markRevoked(`before`, `reason`, at `at`) writes: the same connection, revoked at the next
 * version, at that time, for that reason (a concurrent revoke of the same version commits its own `revokedAt`).
 */
function isOwnRevocation(before: Connection, now: Connection, reason: RevocationReason, at: number): boolean {
  return (
    now.status === 'revoked' &&
    now.connectionId === before.connectionId &&
    now.version === before.version + 1 &&
    now.revokedAt === new Date(at).toISOString() &&
    now.revocationReason === reason
  );
}
