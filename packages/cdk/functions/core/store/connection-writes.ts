/**
 * Writes of a connection's lifecycle: the save of a completed authorization, the end of a user's flows, the mark
 * of a dead refresh token, and revoke. Each is a conditional write fenced on `version`; those that change the
 * number of active connections update the application's counter in the same transaction.
 */
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RESERVED_KEYS } from '../../../src/definitions/tables';
import { CLOCK_SKEW_MS } from '../time/clock';
import type { Deadline } from '../time/deadline';
import {
  ACTIVE_ONLY_ATTRIBUTES,
  KEY,
  decodeConnection,
  dueAttributes,
  keyOf,
  pendingItem,
  tokenAttributes,
  updateExpression as updateParts,
  type Item,
} from './codec';
import { FlowEndedError, toStoreError } from './errors';
import type { Table } from './table';
import type { ActiveConnection, Connection, ConnectionKey, ImportMark, RevocationRecord, StoredTokens } from './types';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** Revocation records are kept for a year, then TTL removes them. */
const REVOCATION_RECORD_TTL_SECONDS = 365 * 24 * 60 * 60;

/** The connections table's lifecycle writes. */
export class ConnectionWrites {
  constructor(
    private readonly table: Table,
    private readonly now: () => number,
  ) {}

  /**
   * Stores the tokens of a completed authorization: a new active connection, or a reconnection replacing what
   * was there (fenced on the version read before, so two concurrent callbacks can't both win). Refused with
   * {@link FlowEndedError} when a revoke since `flowStartedAt` ended the user's flows.
   */
  async saveConnected(
    key: ConnectionKey,
    previous: Connection | undefined,
    tokens: StoredTokens,
    options: {
      /** Identity of the new connection instance (random; how a save whose answer was lost is recognised). */
      readonly connectionId: string;
      readonly dueAt: number;
      readonly flowStartedAt: number;
      /** Only if no live lease exists at this time: the save keeps the previous refresh token, which a refresh must not be rotating. */
      readonly noLeaseAt?: number;
      /** Moves the replaced connection's refresh token (still sealed) to a pending revocation, in the same transaction. */
      readonly revokeReplaced?: boolean;
      /** An import's mark (the put replaces the whole item: any other save leaves none). */
      readonly imported?: ImportMark;
    },
    deadline: Deadline,
  ): Promise<ActiveConnection> {
    const iso = new Date(this.now()).toISOString();
    const item: Item = {
      ...keyOf(key),
      status: 'active',
      version: (previous?.version ?? 0) + 1,
      connectionId: options.connectionId,
      connectedAt: iso,
      updatedAt: iso,
      lastRefreshAt: iso,
      ...tokenAttributes(tokens),
      ...dueAttributes(key, tokens, options.dueAt),
      ...(options.imported === undefined ? {} : { imported: { ...options.imported } }),
    };
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.table.name,
          Item: item,
          ...(previous === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': KEY.PK } }
            : options.noLeaseAt === undefined
              ? {
                  ConditionExpression: '#v = :v',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': previous.version },
                }
              : {
                  ConditionExpression: '#v = :v AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': previous.version, ':now': options.noLeaseAt },
                }),
        },
      },
      {
        // A flow is valid only if no revoke since it started ended the user's flows (for this application or all).
        // The two times come from different containers' clocks: a flow started within the clock skew after a
        // revoke counts as started before it.
        ConditionCheck: {
          TableName: this.table.name,
          Key: { [KEY.PK]: key.userId, [KEY.SK]: RESERVED_KEYS.FLOWS_MARKER },
          ConditionExpression:
            '(attribute_not_exists(#app) OR #app < :started) AND (attribute_not_exists(#all) OR #all < :started)',
          ExpressionAttributeNames: { '#app': flowsAttribute(key.applicationId), '#all': flowsAttribute('*') },
          ExpressionAttributeValues: { ':started': options.flowStartedAt - CLOCK_SKEW_MS },
        },
      },
    ];
    if (previous?.status !== 'active') items.push(this.counterUpdate(key.applicationId, +1));
    if (options.revokeReplaced && previous?.status === 'active' && previous.tokens.refreshToken !== undefined) {
      const itemKey = `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}${key.applicationId}#${previous.version}-replaced`;
      items.push({
        Put: {
          TableName: this.table.name,
          Item: pendingItem(
            key,
            itemKey,
            previous.tokens.encryptedDataKey,
            previous.tokens.refreshToken,
            'replaced_by_reconnect',
            this.now(),
          ),
        },
      });
    }
    try {
      await this.table.call(new TransactWriteCommand({ TransactItems: items }), deadline);
    } catch (error) {
      const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
      if (reasons?.[1]?.Code === 'ConditionalCheckFailed') throw new FlowEndedError();
      throw toStoreError(error, 'save connection');
    }
    return decodeConnection(item) as ActiveConnection;
  }

  /** Ends the user's authorization flows started before now, for one application (or all: `'*'`). */
  async endFlows(userId: string, applicationId: string, deadline: Deadline): Promise<void> {
    await this.table.send(new UpdateCommand(this.flowsUpdate(userId, applicationId).Update!), deadline, 'end flows');
  }

  /**
   * The refresh token is dead (invalid_grant, or past a stated expiry): status `reauthorization_required` with
   * the reason, token material removed, active counter decremented, in one transaction fenced on `version`
   * and on no other container holding a live lease (`owner` is this caller's own lease, if any).
   */
  async markReauthorizationRequired(
    connection: ActiveConnection,
    reason: string,
    owner: string | undefined,
    deadline: Deadline,
  ): Promise<void> {
    const now = this.now();
    const iso = new Date(now).toISOString();
    const set: Item = {
      status: 'reauthorization_required',
      reauthorizationReason: reason,
      reauthorizationAt: iso,
      updatedAt: iso,
      version: connection.version + 1,
    };
    const update: TransactItem = {
      Update: {
        TableName: this.table.name,
        Key: keyOf(connection),
        ...updateParts(
          set,
          ACTIVE_ONLY_ATTRIBUTES,
          '#v = :cv AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now OR leaseOwner = :me)',
          { '#v': 'version' },
          {
            ':cv': connection.version,
            ':now': now,
            ':me': owner ?? '-',
          },
        ),
      },
    };
    await this.transact(
      [update, this.counterUpdate(connection.applicationId, -1)],
      'mark reauthorization required',
      deadline,
    );
  }

  /**
   * Revokes a connection in one transaction fenced on `version`: status `revoked`, all token material removed
   * from it, a revocation record written, the refresh token (still sealed) moved into a pending-revocation item
   * until the provider confirms, the counter decremented, and the flows of that application ended. `at` (the
   * revocation's time, written as `revokedAt`) lets a caller whose write answered `unavailable` recognise its own
   * commit on a re-read.
   */
  async markRevoked(
    connection: Connection,
    reason: string,
    deadline: Deadline,
    at: number = this.now(),
  ): Promise<{ readonly pendingKey?: string; readonly recordKey: string }> {
    const now = at;
    const iso = new Date(now).toISOString();
    const set: Item = {
      status: 'revoked',
      revokedAt: iso,
      revocationReason: reason,
      updatedAt: iso,
      version: connection.version + 1,
    };
    const refreshToken = connection.status === 'active' ? connection.tokens.refreshToken : undefined;
    const recordKey = `${RESERVED_KEYS.REVOCATION_PREFIX}${iso}#${connection.applicationId}#${connection.version}`;
    const revocation: RevocationRecord = {
      userId: connection.userId,
      applicationId: connection.applicationId,
      revokedAt: iso,
      reason,
      providerConfirmed: refreshToken === undefined,
    };
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.table.name,
          Key: keyOf(connection),
          ...updateParts(
            set,
            [...ACTIVE_ONLY_ATTRIBUTES, 'reauthorizationReason', 'reauthorizationAt'],
            '#v = :cv',
            { '#v': 'version' },
            { ':cv': connection.version },
          ),
        },
      },
      {
        Put: {
          TableName: this.table.name,
          Item: {
            [KEY.PK]: connection.userId,
            [KEY.SK]: recordKey,
            recordKind: RESERVED_KEYS.REVOCATION_KIND,
            recordedAt: `${iso}#${connection.userId}#${connection.applicationId}`,
            revocation,
            expiresAtEpochSeconds: Math.floor(now / 1000) + REVOCATION_RECORD_TTL_SECONDS,
          },
        },
      },
      this.flowsUpdate(connection.userId, connection.applicationId),
    ];
    let pendingKey: string | undefined;
    if (connection.status === 'active' && refreshToken !== undefined) {
      pendingKey = revocationPendingKey(connection);
      items.push({
        Put: {
          TableName: this.table.name,
          Item: pendingItem(
            connection,
            pendingKey,
            connection.tokens.encryptedDataKey,
            refreshToken,
            reason,
            now,
            recordKey,
          ),
        },
      });
    }
    if (connection.status === 'active') items.push(this.counterUpdate(connection.applicationId, -1));
    await this.transact(items, 'revoke connection', deadline);
    return { ...(pendingKey === undefined ? {} : { pendingKey }), recordKey };
  }

  counterUpdate(applicationId: string, delta: number): TransactItem {
    return {
      Update: {
        TableName: this.table.name,
        Key: { [KEY.PK]: RESERVED_KEYS.COUNTER_USER_ID, [KEY.SK]: applicationId },
        UpdateExpression: 'ADD activeConnections :d',
        ExpressionAttributeValues: { ':d': delta },
      },
    };
  }

  private flowsUpdate(userId: string, applicationId: string): TransactItem {
    return {
      Update: {
        TableName: this.table.name,
        Key: { [KEY.PK]: userId, [KEY.SK]: RESERVED_KEYS.FLOWS_MARKER },
        UpdateExpression: 'SET #a = :now',
        ExpressionAttributeNames: { '#a': flowsAttribute(applicationId) },
        ExpressionAttributeValues: { ':now': this.now() },
      },
    };
  }

  async transact(items: TransactItem[], operation: string, deadline: Deadline): Promise<void> {
    await this.table.send(new TransactWriteCommand({ TransactItems: items }), deadline, operation);
  }
}

function flowsAttribute(applicationId: string): string {
  return `notBefore:${applicationId}`;
}

/** The pending-revocation item markRevoked writes for a connection's refresh token (one per revoked version). */
export function revocationPendingKey(connection: Pick<Connection, 'applicationId' | 'version'>): string {
  return `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}${connection.applicationId}#${connection.version}`;
}
