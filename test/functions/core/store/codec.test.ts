/**
 * Connection items alone (packages/cdk/functions/core/store/codec.ts): an item decodes into its typed state or is
 * refused as corrupt, never half-filled; the write helpers build what the stores send.
 */
import { REFRESH_DUE_SHARDS, RESERVED_KEYS } from '@token-vault/cdk/src/definitions/tables';
import {
  dueAttributes,
  decodeConnection,
  pendingItem,
  shardOf,
  tokenAttributes,
  updateExpression,
} from '@token-vault/cdk/functions/core/store/codec';
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import type { StoredTokens } from '@token-vault/cdk/functions/core/store/types';

const T0 = Date.UTC(2026, 0, 1);
const bytes = (n: number): Uint8Array => new Uint8Array([n, n + 1]);

const activeItem = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  userId: 'u1',
  applicationId: 'app',
  status: 'active',
  version: 3,
  connectionId: 'c-1',
  connectedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  encryptedDataKey: bytes(1),
  accessToken: bytes(2),
  refreshToken: bytes(3),
  tokenType: 'Bearer',
  scope: 'read',
  accessTokenIssuedAt: T0,
  accessTokenExpiresAt: T0 + 3_600_000,
  ...extra,
});

function corruptField(item: Record<string, unknown>): string {
  try {
    decodeConnection(item);
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('corrupt');
    return (error as Error).message;
  }
  throw new Error('expected the item to be refused');
}

describe('decodeConnection', () => {
  it('no item is no connection', () => {
    expect(decodeConnection(undefined)).toBeUndefined();
  });

  it('decodes an active item with its lease, cool-down, marks and failure streak', () => {
    const connection = decodeConnection(
      activeItem({
        leaseOwner: 'owner-1',
        leaseExpiresAt: T0 + 25_000,
        cooldownUntil: T0 + 30_000,
        lastErrorCode: 'rate_limited',
        lastFetchedAt: T0 + 1,
        refreshDueAt: T0 + 5,
        refreshTokenExpiresAt: T0 + 9,
        refreshTokenExpiryAssumed: true,
        dataKeyCreatedAt: T0,
        dataKeyWrites: 2,
        failureStreak: 2,
        failingSince: T0 - 60_000,
        lastFailureEventAt: T0 - 30_000,
        lastForcedRefreshAt: T0 - 1,
        lastRefreshAt: '2026-01-01T00:00:00.000Z',
      }),
    );
    expect(connection).toEqual({
      userId: 'u1',
      applicationId: 'app',
      version: 3,
      connectionId: 'c-1',
      connectedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      status: 'active',
      tokens: {
        encryptedDataKey: bytes(1),
        accessToken: bytes(2),
        refreshToken: bytes(3),
        tokenType: 'Bearer',
        scope: 'read',
        accessTokenIssuedAt: T0,
        accessTokenExpiresAt: T0 + 3_600_000,
        refreshTokenExpiresAt: T0 + 9,
        refreshTokenExpiryAssumed: true,
        dataKeyCreatedAt: T0,
        dataKeyWrites: 2,
      },
      lease: { owner: 'owner-1', expiresAt: T0 + 25_000 },
      cooldown: { until: T0 + 30_000, errorCode: 'rate_limited' },
      lastRefreshAt: '2026-01-01T00:00:00.000Z',
      lastForcedRefreshAt: T0 - 1,
      lastFetchedAt: T0 + 1,
      refreshDueAt: T0 + 5,
      failure: { streak: 2, since: T0 - 60_000, lastEventAt: T0 - 30_000 },
    });
  });

  it('leaves out what the item does not hold, and reads an unknown cool-down code as provider_unavailable', () => {
    const { refreshToken: _none, ...noRefresh } = activeItem({ cooldownUntil: T0, lastErrorCode: 'made_up' });
    const connection = decodeConnection({ ...noRefresh, leaseOwner: 'half a lease', scope: undefined });
    if (connection?.status !== 'active') throw new Error('not active');
    expect(connection.tokens.refreshToken).toBeUndefined();
    expect(connection.tokens.scope).toBe('');
    expect(connection.lease).toBeUndefined();
    expect(connection.cooldown).toEqual({ until: T0, errorCode: 'provider_unavailable' });
    expect(connection.failure).toBeUndefined();
  });

  it('decodes the ended states without token material', () => {
    expect(
      decodeConnection({
        ...activeItem(),
        status: 'reauthorization_required',
        reauthorizationReason: 'invalid_grant',
        reauthorizationAt: '2026-01-02T00:00:00.000Z',
      }),
    ).toEqual(expect.objectContaining({ status: 'reauthorization_required', reauthorizationReason: 'invalid_grant' }));
    const revoked = decodeConnection({
      ...activeItem(),
      status: 'revoked',
      revokedAt: '2026-01-02T00:00:00.000Z',
      revocationReason: 'user_request',
    });
    expect(revoked).toMatchObject({ status: 'revoked', revocationReason: 'user_request' });
    expect(revoked).not.toHaveProperty('tokens');
  });

  it('refuses an item the vault could not have written, naming the field', () => {
    expect(corruptField(activeItem({ status: 'paused' }))).toBe('Connection item has no valid status.');
    expect(corruptField(activeItem({ version: '3' }))).toBe('Connection item has no valid version.');
    expect(corruptField(activeItem({ version: Number.NaN }))).toBe('Connection item has no valid version.');
    expect(corruptField(activeItem({ accessToken: new Uint8Array() }))).toBe(
      'Connection item has no valid accessToken.',
    );
    expect(corruptField(activeItem({ encryptedDataKey: 'AAEC' }))).toBe(
      'Connection item has no valid encryptedDataKey.',
    );
    expect(corruptField(activeItem({ status: 'revoked' }))).toBe('Connection item has no valid revokedAt.');
  });

  it("decodes an import's mark in every state, and refuses a malformed one", () => {
    const imported = { fingerprint: 'f'.repeat(43), validated: false, replaced: true };
    expect(decodeConnection(activeItem({ imported }))).toMatchObject({ status: 'active', imported });
    const revoked = { status: 'revoked', revokedAt: 'then', revocationReason: 'user_request', imported };
    expect(decodeConnection(activeItem(revoked))).toMatchObject({ status: 'revoked', imported });
    expect(decodeConnection(activeItem())).not.toHaveProperty('imported');
    for (const bad of ['f', { fingerprint: 'f', validated: 'yes', replaced: true }, { validated: true }, null])
      expect(corruptField(activeItem({ imported: bad }))).toBe('Connection item has no valid imported.');
  });
});

describe('write helpers', () => {
  const stored: StoredTokens = {
    encryptedDataKey: bytes(1),
    accessToken: bytes(2),
    tokenType: 'Bearer',
    scope: '',
    accessTokenIssuedAt: T0,
    accessTokenExpiresAt: T0 + 1,
  };

  it('tokenAttributes sets only the fields present', () => {
    expect(tokenAttributes(stored)).toEqual(stored);
    expect(Object.keys(tokenAttributes({ ...stored, refreshToken: bytes(3) }))).toContain('refreshToken');
  });

  it('dueAttributes puts a connection in the due index only when it has a refresh token', () => {
    const key = { userId: 'u1', applicationId: 'app' };
    expect(dueAttributes(key, stored, T0)).toEqual({});
    expect(dueAttributes(key, { ...stored, refreshToken: bytes(3) }, T0)).toEqual({
      dueShard: String(shardOf(key)),
      refreshDueAt: T0,
    });
  });

  it('shardOf is stable and spreads keys over every shard', () => {
    const key = { userId: 'u1', applicationId: 'app' };
    expect(shardOf(key)).toBe(shardOf({ ...key }));
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf({ userId: `user-${i}`, applicationId: 'a' })));
    expect([...shards].sort()).toEqual(Array.from({ length: REFRESH_DUE_SHARDS }, (_, i) => i));
  });

  it('updateExpression names every attribute by placeholder, and removes only what it does not set', () => {
    const parts = updateExpression(
      { status: 'revoked', version: 4 },
      ['status', 'lease', 'lease'],
      '#v = :cv',
      { '#v': 'version' },
      { ':cv': 3 },
    );
    expect(parts).toEqual({
      UpdateExpression: 'SET #s0 = :s0, #s1 = :s1 REMOVE #r0',
      ConditionExpression: '#v = :cv',
      ExpressionAttributeNames: { '#v': 'version', '#s0': 'status', '#s1': 'version', '#r0': 'lease' },
      ExpressionAttributeValues: { ':cv': 3, ':s0': 'revoked', ':s1': 4 },
    });
  });

  it('pendingItem is due at its decision time, listed by kind and age, without the connection key', () => {
    const item = pendingItem(
      { userId: 'u1', applicationId: 'app' },
      `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}app#3`,
      bytes(1),
      bytes(3),
      'user_request',
      T0,
      'record-key',
    );
    expect(item).toMatchObject({
      userId: 'u1',
      applicationId: `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}app#3`,
      targetApplicationId: 'app',
      reason: 'user_request',
      since: T0,
      attempts: 0,
      recordKey: 'record-key',
      recordKind: RESERVED_KEYS.PENDING_REVOCATION_KIND,
      recordedAt: `${new Date(T0).toISOString()}#u1#app`,
      refreshDueAt: T0,
    });
    expect(item.dueShard).toBe(
      String(shardOf({ userId: 'u1', applicationId: `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}app#3` })),
    );
    expect(pendingItem({ userId: 'u1', applicationId: 'app' }, 'k', bytes(1), bytes(3), 'r', T0)).not.toHaveProperty(
      'recordKey',
    );
  });
});
