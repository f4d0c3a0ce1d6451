/**
 * The connections table: one item per (user, application). Every change is a conditional write fenced by
 * `version` (and, for refresh commits, by the lease owner), so no update is ever lost or applied twice.
 * Status transitions that change the number of active connections update the per-application counter in the
 * same transaction, so the count is exact without ever scanning the table.
 */
import { createHash } from 'node:crypto';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONNECTIONS_TABLE, REFRESH_DUE_SHARDS, RESERVED_KEYS } from '../../definitions/tables';
import { DEFAULT_REFRESH_POLICY, refreshAt } from '../refresh/policy';
import { toStoreError } from './errors';
import type { ConnectionKey, ConnectionRecord, RevocationRecord, StoredTokens } from './types';

type Item = Record<string, unknown>;
type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

const K = { PK: CONNECTIONS_TABLE.partitionKey.name, SK: CONNECTIONS_TABLE.sortKey.name } as const;
const DUE_INDEX = CONNECTIONS_TABLE.globalSecondaryIndexes[0].indexName;
const RECORDS_INDEX = CONNECTIONS_TABLE.globalSecondaryIndexes[1].indexName;
/** Revocation records are kept for a year, then TTL removes them. */
const REVOCATION_RECORD_TTL_SECONDS = 365 * 24 * 60 * 60;

/** Token fields written together; `undefined` refresh token fields are removed. */
const TOKEN_FIELDS = [
  'encryptedDataKey',
  'accessToken',
  'refreshToken',
  'tokenType',
  'scope',
  'accessTokenIssuedAt',
  'accessTokenExpiresAt',
  'refreshTokenExpiresAt',
] as const satisfies ReadonlyArray<keyof StoredTokens>;

export interface ConnectionStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /**
   * A plain client for the hot read (`get`), created with `cacheMiddleware: true` so the SDK does not rebuild its
   * middleware stack on every call (the document client refuses that option). Saves about 0.3 ms per warm fetch.
   * @default - reads go through `client`
   */
  readonly readClient?: DynamoDBClient;
  readonly tableName: string;
  /** @default Date.now */
  readonly now?: () => number;
  /** The refresh policy's margin, so the `refresh-due` index holds when a refresh is really due. @default 5 minutes */
  readonly refreshMarginMs?: number;
}

export interface DueConnection extends ConnectionKey {
  readonly refreshDueAt: number;
}

export class ConnectionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly readClient: DynamoDBClient | undefined;
  private readonly table: string;
  private readonly now: () => number;
  private readonly refreshMarginMs: number;

  constructor(options: ConnectionStoreOptions) {
    this.client = options.client;
    this.readClient = options.readClient;
    this.table = options.tableName;
    this.now = options.now ?? Date.now;
    this.refreshMarginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_POLICY.marginMs;
  }

  /** Strongly consistent read: a revocation or a peer's refresh is seen at once. */
  async get(key: ConnectionKey): Promise<ConnectionRecord | undefined> {
    try {
      if (this.readClient) {
        const out = await this.readClient.send(new GetItemCommand({ TableName: this.table, Key: marshall(keyOf(key)), ConsistentRead: true }));
        return out.Item ? (unmarshall(out.Item) as ConnectionRecord) : undefined;
      }
      const out = await this.client.send(new GetCommand({ TableName: this.table, Key: keyOf(key), ConsistentRead: true }));
      return out.Item as ConnectionRecord | undefined;
    } catch (error) {
      throw toStoreError(error, 'GetItem connection');
    }
  }

  /** All connections of a user (reserved items excluded). */
  async listForUser(userId: string): Promise<ConnectionRecord[]> {
    const items: ConnectionRecord[] = [];
    let startKey: Item | undefined;
    try {
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: '#pk = :u',
            ExpressionAttributeNames: { '#pk': K.PK },
            ExpressionAttributeValues: { ':u': userId },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of out.Items ?? []) {
          if (!String(item[K.SK]).startsWith('#')) items.push(item as ConnectionRecord);
        }
        startKey = out.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw toStoreError(error, 'Query connections');
    }
    return items;
  }

  /**
   * Stores the tokens of a completed authorization: a new active connection, or a reconnection replacing
   * whatever was there (fenced on the version read before, so two concurrent callbacks can't both win).
   */
  async saveConnected(key: ConnectionKey, previous: ConnectionRecord | undefined, tokens: StoredTokens): Promise<ConnectionRecord> {
    const now = this.now();
    const iso = new Date(now).toISOString();
    const record: ConnectionRecord = {
      ...key,
      status: 'active',
      version: (previous?.version ?? 0) + 1,
      connectedAt: iso,
      updatedAt: iso,
      lastRefreshAt: iso,
      ...tokens,
      ...this.dueKeys(key, tokens),
    };
    const put: TransactItem = {
      Put: {
        TableName: this.table,
        Item: record,
        ConditionExpression: previous ? '#v = :v' : 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: previous ? { '#v': 'version' } : { '#pk': K.PK },
        ...(previous ? { ExpressionAttributeValues: { ':v': previous.version } } : {}),
      },
    };
    const items = previous?.status === 'active' ? [put] : [put, this.counterUpdate(key.applicationId, +1)];
    await this.transact(items, 'save connection');
    return record;
  }

  /**
   * Takes the refresh lease when the item is still at `version` and no live lease exists. Returns the lease's
   * expiry (epoch ms), or undefined when someone else holds it or the item moved on (the caller re-reads).
   * `owner` should be unique per acquisition: the commit is fenced on it.
   */
  async acquireLease(key: ConnectionKey, version: number, owner: string, leaseMs: number): Promise<number | undefined> {
    const now = this.now();
    const expiresAt = now + leaseMs;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(key),
          UpdateExpression: 'SET leaseOwner = :o, leaseExpiresAt = :exp',
          ConditionExpression: '#v = :v AND #s = :active AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
          ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
          ExpressionAttributeValues: { ':o': owner, ':exp': expiresAt, ':v': version, ':active': 'active', ':now': now },
        }),
      );
      return expiresAt;
    } catch (error) {
      const mapped = toStoreError(error, 'acquire lease');
      if (mapped.failure === 'conflict') return undefined;
      throw mapped;
    }
  }

  /**
   * Writes refreshed tokens, only if this owner still holds the lease at `version`: the new refresh token
   * replaces the old one in the same write as the new access token (RFC 6749 §6), and the lease is released.
   */
  async commitRefresh(key: ConnectionKey, version: number, owner: string, tokens: StoredTokens): Promise<ConnectionRecord> {
    const iso = new Date(this.now()).toISOString();
    const due = this.dueKeys(key, tokens);
    const set: Item = { ...pickTokens(tokens), ...due, updatedAt: iso, lastRefreshAt: iso, version: version + 1 };
    const remove = ['leaseOwner', 'leaseExpiresAt', 'cooldownUntil', 'lastErrorCode'];
    if (tokens.refreshToken === undefined) remove.push('refreshToken', 'refreshTokenExpiresAt', 'dueShard', 'refreshDueAt');
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(key),
          ...updateExpression(set, remove, '#v = :cv AND leaseOwner = :owner', { '#v': 'version' }, { ':cv': version, ':owner': owner }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as ConnectionRecord;
    } catch (error) {
      throw toStoreError(error, 'commit refresh');
    }
  }

  /** Releases the lease after a failed refresh and starts the cool-down shared by every container. */
  async releaseWithCooldown(key: ConnectionKey, version: number, owner: string, cooldownUntil: number, errorCode: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(key),
          UpdateExpression: 'SET cooldownUntil = :c, lastErrorCode = :e, refreshDueAt = :c, updatedAt = :u REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: '#v = :v AND leaseOwner = :o',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':c': cooldownUntil, ':e': errorCode, ':u': new Date(this.now()).toISOString(), ':v': version, ':o': owner },
        }),
      );
    } catch (error) {
      const mapped = toStoreError(error, 'release lease');
      // Lost the lease meanwhile (expired and taken over, or revoked): nothing of ours to release.
      if (mapped.failure !== 'conflict') throw mapped;
    }
  }

  /**
   * The refresh token is dead (invalid_grant, or past its expiry): status `reauthorization_required` with the
   * reason, token material removed, active counter decremented, all in one transaction fenced on `version`.
   */
  async markReauthorizationRequired(record: ConnectionRecord, reason: string): Promise<ConnectionRecord> {
    const iso = new Date(this.now()).toISOString();
    const set: Item = { status: 'reauthorization_required', reauthorizationReason: reason, reauthorizationAt: iso, updatedAt: iso, version: record.version + 1 };
    const remove = [...TOKEN_FIELDS, 'leaseOwner', 'leaseExpiresAt', 'cooldownUntil', 'lastErrorCode', 'dueShard', 'refreshDueAt'];
    const update: TransactItem = {
      Update: {
        TableName: this.table,
        Key: keyOf(record),
        ...updateExpression(set, remove, '#v = :cv', { '#v': 'version' }, { ':cv': record.version }),
      },
    };
    const items = record.status === 'active' ? [update, this.counterUpdate(record.applicationId, -1)] : [update];
    await this.transact(items, 'mark reauthorization required');
    return { ...stripTokens(record), status: 'reauthorization_required', reauthorizationReason: reason, reauthorizationAt: iso, updatedAt: iso, version: record.version + 1 };
  }

  /**
   * Revokes a connection: token material removed (except, while the provider could not be told, the sealed
   * refresh token needed to retry), status `revoked`, a revocation record written, the counter decremented:
   * one transaction fenced on `version`.
   */
  async markRevoked(record: ConnectionRecord, reason: string, providerConfirmed: boolean): Promise<void> {
    const now = this.now();
    const iso = new Date(now).toISOString();
    const set: Item = { status: 'revoked', revokedAt: iso, revocationReason: reason, updatedAt: iso, version: record.version + 1 };
    const keep = !providerConfirmed && record.refreshToken !== undefined;
    if (keep) set.providerRevocationPending = true;
    const remove: string[] = ['leaseOwner', 'leaseExpiresAt', 'cooldownUntil', 'lastErrorCode', 'dueShard', 'refreshDueAt'];
    remove.push(...TOKEN_FIELDS.filter((f) => !(keep && (f === 'refreshToken' || f === 'encryptedDataKey'))));
    if (!keep) remove.push('providerRevocationPending');
    const revocation: RevocationRecord = { userId: record.userId, applicationId: record.applicationId, revokedAt: iso, reason, providerConfirmed };
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.table,
          Key: keyOf(record),
          ...updateExpression(set, remove, '#v = :cv', { '#v': 'version' }, { ':cv': record.version }),
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: {
            [K.PK]: record.userId,
            [K.SK]: `${RESERVED_KEYS.REVOCATION_PREFIX}${iso}#${record.applicationId}#${record.version}`,
            recordKind: RESERVED_KEYS.REVOCATION_KIND,
            recordedAt: `${iso}#${record.userId}#${record.applicationId}`,
            revocation,
            expiresAtEpochSeconds: Math.floor(now / 1000) + REVOCATION_RECORD_TTL_SECONDS,
          },
        },
      },
    ];
    if (record.status === 'active') items.push(this.counterUpdate(record.applicationId, -1));
    await this.transact(items, 'revoke connection');
  }

  /** Revocation records, oldest first, paged. No token material is ever part of them. */
  async listRevocations(options: { limit?: number; cursor?: string } = {}): Promise<{ records: RevocationRecord[]; cursor?: string }> {
    try {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: RECORDS_INDEX,
          KeyConditionExpression: 'recordKind = :k',
          ExpressionAttributeValues: { ':k': RESERVED_KEYS.REVOCATION_KIND },
          Limit: options.limit ?? 100,
          ExclusiveStartKey: options.cursor ? (JSON.parse(Buffer.from(options.cursor, 'base64url').toString('utf8')) as Item) : undefined,
        }),
      );
      const records = (out.Items ?? []).map((item) => item.revocation as RevocationRecord);
      const cursor = out.LastEvaluatedKey ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') : undefined;
      return cursor ? { records, cursor } : { records };
    } catch (error) {
      throw toStoreError(error, 'Query revocations');
    }
  }

  /** Exact active-connection counts per application, from the counter items (one Query, no scan). */
  async activeCounts(): Promise<Record<string, number>> {
    try {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :c',
          ExpressionAttributeNames: { '#pk': K.PK },
          ExpressionAttributeValues: { ':c': RESERVED_KEYS.COUNTER_USER_ID },
          ConsistentRead: true,
        }),
      );
      return Object.fromEntries((out.Items ?? []).map((i) => [String(i[K.SK]), Number(i.activeConnections ?? 0)]));
    } catch (error) {
      throw toStoreError(error, 'Query counters');
    }
  }

  /** One page of connections in `shard` due for refresh by `dueBy` (sparse index: only refreshable ones). */
  async queryDue(shard: number, dueBy: number, limit: number, cursor?: Item): Promise<{ items: DueConnection[]; cursor?: Item }> {
    try {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'dueShard = :s AND refreshDueAt <= :t',
          ExpressionAttributeValues: { ':s': String(shard), ':t': dueBy },
          Limit: limit,
          ExclusiveStartKey: cursor,
        }),
      );
      const items = (out.Items ?? []).map((i) => ({ userId: String(i[K.PK]), applicationId: String(i[K.SK]), refreshDueAt: Number(i.refreshDueAt) }));
      return out.LastEvaluatedKey ? { items, cursor: out.LastEvaluatedKey } : { items };
    } catch (error) {
      throw toStoreError(error, 'Query due connections');
    }
  }

  /** Index keys of the proactive sweep: only when a refresh token exists to refresh with. */
  private dueKeys(key: ConnectionKey, tokens: StoredTokens): { dueShard?: string; refreshDueAt?: number } {
    if (tokens.refreshToken === undefined) return {};
    return { dueShard: String(shardOf(key)), refreshDueAt: refreshDueAt(tokens, this.refreshMarginMs) };
  }

  private counterUpdate(applicationId: string, delta: number): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: { [K.PK]: RESERVED_KEYS.COUNTER_USER_ID, [K.SK]: applicationId },
        UpdateExpression: 'ADD activeConnections :d',
        ExpressionAttributeValues: { ':d': delta },
      },
    };
  }

  private async transact(items: TransactItem[], operation: string): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      throw toStoreError(error, operation);
    }
  }
}

/**
 * When the sweep should refresh: the refresh policy's own moment (`margin` before expiry, never before half the
 * token's lifetime). It used to be the half-life alone: with 1-hour tokens and the default margin and look-ahead,
 * every sweep from minute 20 to minute 45 of a token's life read the connection (and decrypted its token) only
 * to find it not due yet, so the sweep's cost grew with all connections instead of the due ones.
 */
export function refreshDueAt(tokens: Pick<StoredTokens, 'accessTokenIssuedAt' | 'accessTokenExpiresAt'>, marginMs: number = DEFAULT_REFRESH_POLICY.marginMs): number {
  return refreshAt(tokens, { ...DEFAULT_REFRESH_POLICY, marginMs }, 0);
}

/** Stable shard of a connection in the `refresh-due` index. */
export function shardOf(key: ConnectionKey): number {
  const digest = createHash('sha256').update(`${key.userId}\u0000${key.applicationId}`).digest();
  return digest.readUInt32BE(0) % REFRESH_DUE_SHARDS;
}

function keyOf(key: ConnectionKey): Item {
  return { [K.PK]: key.userId, [K.SK]: key.applicationId };
}

function pickTokens(tokens: StoredTokens): Item {
  const out: Item = {};
  for (const field of TOKEN_FIELDS) if (tokens[field] !== undefined) out[field] = tokens[field];
  return out;
}

function stripTokens(record: ConnectionRecord): ConnectionRecord {
  const copy: Record<string, unknown> = { ...record };
  for (const field of [...TOKEN_FIELDS, 'leaseOwner', 'leaseExpiresAt', 'cooldownUntil', 'lastErrorCode', 'dueShard', 'refreshDueAt']) delete copy[field];
  return copy as unknown as ConnectionRecord;
}

interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Item;
}

/** Builds `SET a = :a, ... REMOVE b, ...` with placeholder names for every attribute, plus the condition. */
function updateExpression(set: Item, remove: readonly string[], condition: string, conditionNames: Record<string, string>, conditionValues: Item): UpdateParts {
  const names: Record<string, string> = { ...conditionNames };
  const values: Item = { ...conditionValues };
  const sets = Object.entries(set).map(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  const removes = remove.filter((name) => !(name in set)).map((name, i) => {
    names[`#r${i}`] = name;
    return `#r${i}`;
  });
  const expression = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
  return { UpdateExpression: expression, ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}
