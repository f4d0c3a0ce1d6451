/**
 * Connection items as DynamoDB holds them (flat attributes, so that the sparse `refresh-due` index can key on
 * them) and as the core sees them (typed states). Reading validates: an item the vault could not have written
 * is `corrupt`, never a half-filled state.
 */
import { createHash } from 'node:crypto';
import { CONNECTIONS_TABLE, REFRESH_DUE_SHARDS, RESERVED_KEYS } from '../../../src/definitions/tables';
import { StoreError } from './errors';
import type { ActiveConnection, Connection, ConnectionKey, Cooldown, ImportMark, StoredTokens } from './types';

export type Item = Record<string, unknown>;

export const KEY = { PK: CONNECTIONS_TABLE.partitionKey.name, SK: CONNECTIONS_TABLE.sortKey.name } as const;

/** Token attributes, written and removed together. */
export const TOKEN_ATTRIBUTES = [
  'encryptedDataKey',
  'accessToken',
  'refreshToken',
  'tokenType',
  'scope',
  'accessTokenIssuedAt',
  'accessTokenExpiresAt',
  'refreshTokenExpiresAt',
  'refreshTokenExpiryAssumed',
  'dataKeyCreatedAt',
  'dataKeyWrites',
] as const satisfies ReadonlyArray<keyof StoredTokens>;

/**
 * The failure streak of an active connection (transient refresh failures since the last success): written by the
 * lease holder's release with a cool-down, removed by its successful commit. The events read it.
 */
export const FAILURE_ATTRIBUTES = ['failureStreak', 'failingSince', 'lastFailureEventAt'] as const;

/** Attributes that only an active connection carries. */
export const ACTIVE_ONLY_ATTRIBUTES = [
  ...TOKEN_ATTRIBUTES,
  'leaseOwner',
  'leaseExpiresAt',
  'cooldownUntil',
  'lastErrorCode',
  'dueShard',
  'refreshDueAt',
  'lastFetchedAt',
  ...FAILURE_ATTRIBUTES,
] as const;

export function keyOf(key: ConnectionKey): Item {
  return { [KEY.PK]: key.userId, [KEY.SK]: key.applicationId };
}

const COOLDOWN_CODES = new Set<Cooldown['errorCode']>(['rate_limited', 'provider_unavailable', 'internal_error']);

/** The typed connection of an item, or undefined for no item. */
export function decodeConnection(item: Item | undefined): Connection | undefined {
  if (item === undefined) return undefined;
  const base = {
    userId: str(item, KEY.PK),
    applicationId: str(item, KEY.SK),
    version: num(item, 'version'),
    connectionId: typeof item.connectionId === 'string' ? item.connectionId : '',
    connectedAt: str(item, 'connectedAt'),
    updatedAt: str(item, 'updatedAt'),
    ...(item.imported === undefined ? {} : { imported: importMark(item.imported) }),
  };
  switch (item.status) {
    case 'active': {
      const tokens: StoredTokens = {
        encryptedDataKey: bytes(item, 'encryptedDataKey'),
        accessToken: bytes(item, 'accessToken'),
        ...(item.refreshToken === undefined ? {} : { refreshToken: bytes(item, 'refreshToken') }),
        tokenType: str(item, 'tokenType'),
        scope: typeof item.scope === 'string' ? item.scope : '',
        accessTokenIssuedAt: num(item, 'accessTokenIssuedAt'),
        accessTokenExpiresAt: num(item, 'accessTokenExpiresAt'),
        ...(item.refreshTokenExpiresAt === undefined
          ? {}
          : { refreshTokenExpiresAt: num(item, 'refreshTokenExpiresAt') }),
        ...(item.refreshTokenExpiryAssumed === true ? { refreshTokenExpiryAssumed: true } : {}),
        ...(typeof item.dataKeyCreatedAt === 'number' ? { dataKeyCreatedAt: item.dataKeyCreatedAt } : {}),
        ...(typeof item.dataKeyWrites === 'number' ? { dataKeyWrites: item.dataKeyWrites } : {}),
      };
      const connection: ActiveConnection = {
        ...base,
        status: 'active',
        tokens,
        ...(typeof item.leaseOwner === 'string' && typeof item.leaseExpiresAt === 'number'
          ? { lease: { owner: item.leaseOwner, expiresAt: item.leaseExpiresAt } }
          : {}),
        ...(typeof item.cooldownUntil === 'number'
          ? {
              cooldown: {
                until: item.cooldownUntil,
                errorCode: COOLDOWN_CODES.has(item.lastErrorCode as Cooldown['errorCode'])
                  ? (item.lastErrorCode as Cooldown['errorCode'])
                  : 'provider_unavailable',
              },
            }
          : {}),
        ...(typeof item.lastRefreshAt === 'string' ? { lastRefreshAt: item.lastRefreshAt } : {}),
        ...(typeof item.lastForcedRefreshAt === 'number' ? { lastForcedRefreshAt: item.lastForcedRefreshAt } : {}),
        ...(typeof item.lastFetchedAt === 'number' ? { lastFetchedAt: item.lastFetchedAt } : {}),
        ...(typeof item.refreshDueAt === 'number' ? { refreshDueAt: item.refreshDueAt } : {}),
        ...(typeof item.failureStreak === 'number' && typeof item.failingSince === 'number'
          ? {
              failure: {
                streak: item.failureStreak,
                since: item.failingSince,
                ...(typeof item.lastFailureEventAt === 'number' ? { lastEventAt: item.lastFailureEventAt } : {}),
              },
            }
          : {}),
      };
      return connection;
    }
    case 'reauthorization_required':
      return {
        ...base,
        status: 'reauthorization_required',
        reauthorizationReason: str(item, 'reauthorizationReason'),
        reauthorizationAt: str(item, 'reauthorizationAt'),
      };
    case 'revoked':
      return {
        ...base,
        status: 'revoked',
        revokedAt: str(item, 'revokedAt'),
        revocationReason: str(item, 'revocationReason'),
      };
    default:
      throw corrupt('status');
  }
}

/** The import mark of a connection item (a map attribute written only by an import's save). */
function importMark(value: unknown): ImportMark {
  const mark = value as Partial<Record<keyof ImportMark, unknown>> | null;
  if (
    typeof mark !== 'object' ||
    mark === null ||
    typeof mark.fingerprint !== 'string' ||
    typeof mark.validated !== 'boolean' ||
    typeof mark.replaced !== 'boolean'
  )
    throw corrupt('imported');
  return { fingerprint: mark.fingerprint, validated: mark.validated, replaced: mark.replaced };
}

/** Attributes of stored tokens, for SET. Absent optional fields are left out (and belong in REMOVE). */
export function tokenAttributes(tokens: StoredTokens): Item {
  const out: Item = {};
  for (const field of TOKEN_ATTRIBUTES) if (tokens[field] !== undefined) out[field] = tokens[field];
  return out;
}

function corrupt(field: string): StoreError {
  return new StoreError('corrupt', `Connection item has no valid ${field}.`);
}

function str(item: Item, field: string): string {
  const value = item[field];
  if (typeof value !== 'string') throw corrupt(field);
  return value;
}

function num(item: Item, field: string): number {
  const value = item[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw corrupt(field);
  return value;
}

function bytes(item: Item, field: string): Uint8Array {
  const value = item[field];
  if (!(value instanceof Uint8Array) || value.length === 0) throw corrupt(field);
  return value;
}

/** `SET a = :a, ... REMOVE b, ...` with placeholders for every attribute, plus the condition. */
export function updateExpression(
  set: Item,
  remove: readonly string[],
  condition: string,
  conditionNames: Record<string, string>,
  conditionValues: Item,
): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Item;
} {
  const names: Record<string, string> = { ...conditionNames };
  const values: Item = { ...conditionValues };
  const sets = Object.entries(set).map(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  const removes = [...new Set(remove)]
    .filter((name) => !(name in set))
    .map((name, i) => {
      names[`#r${i}`] = name;
      return `#r${i}`;
    });
  const expression = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
  return {
    UpdateExpression: expression,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The item of a refresh token to revoke at the provider, due at once in the `refresh-due` index. */
export function pendingItem(
  key: ConnectionKey,
  itemKey: string,
  encryptedDataKey: Uint8Array,
  refreshToken: Uint8Array,
  reason: string,
  decidedAt: number,
  recordKey?: string,
): Item {
  // `decidedAt` may lie ahead: a session-bound flow's parked grant is revoked only once its handle has expired.
  const now = decidedAt;
  const iso = new Date(now).toISOString();
  return {
    [KEY.PK]: key.userId,
    [KEY.SK]: itemKey,
    targetApplicationId: key.applicationId,
    encryptedDataKey,
    refreshToken,
    reason,
    since: now,
    attempts: 0,
    ...(recordKey === undefined ? {} : { recordKey }),
    recordKind: RESERVED_KEYS.PENDING_REVOCATION_KIND,
    recordedAt: `${iso}#${key.userId}#${key.applicationId}`,
    dueShard: String(shardOf({ userId: key.userId, applicationId: itemKey })),
    refreshDueAt: now,
  };
}

/** Keys of the `refresh-due` index: only when there is a refresh token to refresh with. */
export function dueAttributes(key: ConnectionKey, tokens: StoredTokens, dueAt: number): Item {
  if (tokens.refreshToken === undefined) return {};
  return { dueShard: String(shardOf(key)), refreshDueAt: dueAt };
}

/** Stable shard of an item in the `refresh-due` index. */
export function shardOf(key: ConnectionKey): number {
  const digest = createHash('sha256').update(`${key.userId}\u0000${key.applicationId}`).digest();
  return digest.readUInt32BE(0) % REFRESH_DUE_SHARDS;
}
