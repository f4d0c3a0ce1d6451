/**
 * The connections table: one item per (user, application), plus reserved items (counters, revocation records,
 * pending provider revocations, the marker that ends a user's authorization flows). Every change of a
 * connection is a conditional write fenced by `version`; transitions that change the number of active
 * connections update the per-application counter in the same transaction, so the count is exact without a scan.
 * The refresh lease lives in {@link LeaseStore}; the refresh policy's due time is handed in (`dueAt`).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { CONNECTIONS_TABLE, RESERVED_KEYS } from '../../../src/definitions/tables';
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
import { StoreError, toStoreError } from './errors';
import { Table, type DocumentClient } from './table';
import type { ActiveConnection, Connection, ConnectionKey, RevocationRecord, StoredTokens } from './types';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

const DUE_INDEX = CONNECTIONS_TABLE.globalSecondaryIndexes[0].indexName;
const RECORDS_INDEX = CONNECTIONS_TABLE.globalSecondaryIndexes[1].indexName;
/** Revocation records are kept for a year, then TTL removes them. */
const REVOCATION_RECORD_TTL_SECONDS = 365 * 24 * 60 * 60;

export interface ConnectionStoreOptions {
  readonly client: DocumentClient;
  readonly tableName: string;
  /** Longest one DynamoDB call may take, SDK retries included. */
  readonly callTimeoutMs: number;
  /**
   * A plain DynamoDB client for the hot read (`get`), created with `cacheMiddleware: true` so the SDK does not
   * rebuild its middleware stack on every call (the document client refuses that option).
   * @default - reads go through `client`
   */
  readonly readClient?: DocumentClient;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Work found in the `refresh-due` index: a connection to refresh, or a pending provider revocation. */
export interface DueItem extends ConnectionKey {
  readonly dueAt: number;
}

/** Why a callback's save was refused: the item moved on, or a revoke ended the flow it belongs to. */
export class FlowEndedError extends StoreError {
  constructor() {
    super('conflict', 'save connection: a revoke ended this authorization flow.');
  }
}

export class ConnectionStore {
  readonly table: Table;
  private readonly readTable: Table | undefined;
  private readonly now: () => number;

  constructor(options: ConnectionStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.callTimeoutMs);
    this.readTable = options.readClient
      ? new Table(options.readClient, options.tableName, options.callTimeoutMs)
      : undefined;
    this.now = options.now ?? Date.now;
  }

  /** Strongly consistent read: a revocation or a peer's refresh is seen at once. */
  async get(key: ConnectionKey, deadline: Deadline): Promise<Connection | undefined> {
    if (this.readTable) {
      const out = await this.readTable.send<{ Item?: Parameters<typeof unmarshall>[0] }>(
        new GetItemCommand({ TableName: this.table.name, Key: marshall(keyOf(key)), ConsistentRead: true }),
        deadline,
        'GetItem connection',
      );
      return decodeConnection(out.Item ? unmarshall(out.Item) : undefined);
    }
    const out = await this.table.send<{ Item?: Item }>(
      new GetCommand({ TableName: this.table.name, Key: keyOf(key), ConsistentRead: true }),
      deadline,
      'GetItem connection',
    );
    return decodeConnection(out.Item);
  }

  /** All connections of a user (reserved items excluded). */
  async listForUser(userId: string, deadline: Deadline): Promise<Connection[]> {
    const items = await this.queryUser(userId, deadline);
    return items.filter((item) => !String(item[KEY.SK]).startsWith('#')).map((item) => decodeConnection(item)!);
  }

  /** Every item in the user's partition: connections and reserved items. */
  async queryUser(userId: string, deadline: Deadline): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.table.send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: '#pk = :u',
          ExpressionAttributeNames: { '#pk': KEY.PK },
          ExpressionAttributeValues: { ':u': userId },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
        deadline,
        'Query user items',
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

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
  /**
   * Marks the connection's current access token as used (the `used` policy's `lastFetchedAt`), and moves its due
   * time onto the expiry track (`dueAt`, when it has a refresh token). Conditional on the version, the status and
   * the token not being marked yet, so it is written at most once per access token across all containers, never
   * over a newer commit. False when the condition failed (marked already, or the connection moved on).
   */
  async markFetched(
    connection: ActiveConnection,
    now: number,
    dueAt: number | undefined,
    deadline: Deadline,
  ): Promise<boolean> {
    const due = dueAt !== undefined && connection.tokens.refreshToken !== undefined;
    try {
      await this.table.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keyOf(connection),
          UpdateExpression: `SET lastFetchedAt = :now${due ? ', refreshDueAt = :due' : ''}`,
          ConditionExpression:
            '#v = :v AND #s = :active AND (attribute_not_exists(lastFetchedAt) OR lastFetchedAt < :issued)',
          ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
          ExpressionAttributeValues: {
            ':now': now,
            ':v': connection.version,
            ':active': 'active',
            ':issued': connection.tokens.accessTokenIssuedAt,
            ...(due ? { ':due': dueAt } : {}),
          },
        }),
        deadline,
        'mark fetched',
      );
      return true;
    } catch (error) {
      if (error instanceof StoreError && error.code === 'conflict') return false;
      throw error;
    }
  }

  /**
   * Moves the due time of a connection the proactive refresh visited but does not refresh (a token nobody used
   * goes to the keep-alive track), fenced on the version. False when the connection moved on meanwhile.
   */
  async reschedule(connection: ActiveConnection, dueAt: number, deadline: Deadline): Promise<boolean> {
    try {
      await this.table.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keyOf(connection),
          UpdateExpression: 'SET refreshDueAt = :due',
          // Fenced on the use mark as read too: a fetch that marked the token meanwhile (the mark does not move the
          // version) put it on the expiry track, which this visit must not undo.
          ConditionExpression: `#v = :v AND #s = :active AND attribute_exists(dueShard) AND ${
            connection.lastFetchedAt === undefined ? 'attribute_not_exists(lastFetchedAt)' : 'lastFetchedAt = :seen'
          }`,
          ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
          ExpressionAttributeValues: {
            ':due': dueAt,
            ':v': connection.version,
            ':active': 'active',
            ...(connection.lastFetchedAt === undefined ? {} : { ':seen': connection.lastFetchedAt }),
          },
        }),
        deadline,
        'reschedule',
      );
      return true;
    } catch (error) {
      if (error instanceof StoreError && error.code === 'conflict') return false;
      throw error;
    }
  }

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
   * until the provider confirms, the counter decremented, and the flows of that application ended.
   */
  async markRevoked(
    connection: Connection,
    reason: string,
    deadline: Deadline,
  ): Promise<{ readonly pendingKey?: string; readonly recordKey: string }> {
    const now = this.now();
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
      pendingKey = `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}${connection.applicationId}#${connection.version}`;
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

  /** Revocation records, oldest first, paged. No token material is ever part of them. */
  async listRevocations(
    deadline: Deadline,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ records: RevocationRecord[]; cursor?: string }> {
    const out = await this.table.send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: RECORDS_INDEX,
        KeyConditionExpression: 'recordKind = :k',
        ExpressionAttributeValues: { ':k': RESERVED_KEYS.REVOCATION_KIND },
        Limit: options.limit ?? 100,
        ExclusiveStartKey: options.cursor
          ? (JSON.parse(Buffer.from(options.cursor, 'base64url').toString('utf8')) as Item)
          : undefined,
      }),
      deadline,
      'Query revocations',
    );
    const records = (out.Items ?? []).map((item) => item.revocation as RevocationRecord);
    const cursor = out.LastEvaluatedKey
      ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url')
      : undefined;
    return cursor ? { records, cursor } : { records };
  }

  /** Exact active-connection counts per application, from the counter items (one Query, no scan). */
  async activeCounts(deadline: Deadline): Promise<Record<string, number>> {
    const out = await this.table.send<{ Items?: Item[] }>(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: '#pk = :c',
        ExpressionAttributeNames: { '#pk': KEY.PK },
        ExpressionAttributeValues: { ':c': RESERVED_KEYS.COUNTER_USER_ID },
        ConsistentRead: true,
      }),
      deadline,
      'Query counters',
    );
    return Object.fromEntries((out.Items ?? []).map((i) => [String(i[KEY.SK]), Number(i.activeConnections ?? 0)]));
  }

  /** One page of work in `shard` due by `dueBy`, oldest first (sparse index: only what needs the provider). */
  async queryDue(
    shard: number,
    dueBy: number,
    limit: number,
    deadline: Deadline,
    cursor?: Item,
  ): Promise<{ items: DueItem[]; cursor?: Item }> {
    const out = await this.table.send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: DUE_INDEX,
        KeyConditionExpression: 'dueShard = :s AND refreshDueAt <= :t',
        ExpressionAttributeValues: { ':s': String(shard), ':t': dueBy },
        Limit: limit,
        ExclusiveStartKey: cursor,
      }),
      deadline,
      'Query due work',
    );
    const items = (out.Items ?? []).map((i) => ({
      userId: String(i[KEY.PK]),
      applicationId: String(i[KEY.SK]),
      dueAt: Number(i.refreshDueAt),
    }));
    return out.LastEvaluatedKey ? { items, cursor: out.LastEvaluatedKey } : { items };
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
