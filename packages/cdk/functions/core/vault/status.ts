/**
 * `status`: what the vault knows about a user's connections, without any token. One strongly consistent Query of
 * the user's partition whose projection names no token attribute (the sealed fields never leave DynamoDB), so the
 * function needs neither the key nor the client secrets.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { RESERVED_KEYS } from '../../../src/definitions/tables';
import type { ConnectionStatus } from '../../contract/answers';
import { KEY, type Item } from '../store/codec';
import type { ConnectionStore } from '../store/connection-store';
import type { Deadline } from '../time/deadline';
import type { ApplicationRegistry } from './applications';

/** The attributes `status` reads: metadata only. A test checks none of them is a token attribute. */
export const STATUS_ATTRIBUTES = [
  KEY.SK,
  'status',
  'scope',
  'connectedAt',
  'lastRefreshAt',
  'accessTokenExpiresAt',
  'refreshTokenExpiresAt',
  'refreshTokenExpiryAssumed',
  'reauthorizationReason',
  'failingSince',
  'targetApplicationId',
] as const;

export class StatusService {
  constructor(
    private readonly connections: ConnectionStore,
    private readonly applications: ApplicationRegistry,
  ) {}

  async status(request: { userId: string; applicationId?: string }, deadline: Deadline): Promise<ConnectionStatus[]> {
    if (request.applicationId !== undefined) this.applications.require(request.applicationId);
    const items = await this.query(request.userId, request.applicationId, deadline);
    const pending = new Set(
      items
        .filter((i) => String(i[KEY.SK]).startsWith(RESERVED_KEYS.PENDING_REVOCATION_PREFIX))
        .map((i) => String(i.targetApplicationId)),
    );
    return items
      .filter((i) => !String(i[KEY.SK]).startsWith('#'))
      .map((i) => toStatus(i, pending.has(String(i[KEY.SK]))))
      .sort((a, b) => a.applicationId.localeCompare(b.applicationId));
  }

  private async query(userId: string, applicationId: string | undefined, deadline: Deadline): Promise<Item[]> {
    const names: Record<string, string> = Object.fromEntries(STATUS_ATTRIBUTES.map((a, i) => [`#a${i}`, a]));
    names['#pk'] = KEY.PK;
    const values: Record<string, unknown> = { ':u': userId, ':pending': RESERVED_KEYS.PENDING_REVOCATION_PREFIX };
    let filter: string;
    if (applicationId === undefined) {
      values[':hash'] = '#';
      filter = 'NOT begins_with(#a0, :hash) OR begins_with(#a0, :pending)';
    } else {
      values[':app'] = applicationId;
      filter = `#a0 = :app OR (begins_with(#a0, :pending) AND #a${STATUS_ATTRIBUTES.indexOf('targetApplicationId')} = :app)`;
    }
    const items: Item[] = [];
    let startKey: Item | undefined;
    // One Query: a user's partition passes 1 MB only with thousands of revocation records (then it pages).
    do {
      const out = await this.connections.table.send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
        new QueryCommand({
          TableName: this.connections.table.name,
          KeyConditionExpression: '#pk = :u',
          FilterExpression: filter,
          ProjectionExpression: STATUS_ATTRIBUTES.map((_, i) => `#a${i}`).join(', '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
        deadline,
        'Query user status',
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

function toStatus(item: Item, providerRevocationPending: boolean): ConnectionStatus {
  const status =
    item.status === 'active' || item.status === 'reauthorization_required' || item.status === 'revoked'
      ? item.status
      : 'revoked';
  const active = status === 'active';
  const iso = (value: unknown): string | null =>
    typeof value === 'number' && Number.isFinite(value) ? new Date(value).toISOString() : null;
  let refreshTokenExpiresAt: string | null = null;
  if (active && typeof item.refreshTokenExpiresAt === 'number')
    refreshTokenExpiresAt = item.refreshTokenExpiryAssumed === true ? 'unknown' : iso(item.refreshTokenExpiresAt);
  return {
    applicationId: String(item[KEY.SK]),
    status,
    scope: active && typeof item.scope === 'string' ? item.scope : null,
    connectedAt: typeof item.connectedAt === 'string' ? item.connectedAt : '',
    lastRefreshedAt: active && typeof item.lastRefreshAt === 'string' ? item.lastRefreshAt : null,
    accessTokenExpiresAt: active ? iso(item.accessTokenExpiresAt) : null,
    refreshTokenExpiresAt,
    reauthorizationReason:
      status === 'reauthorization_required' && typeof item.reauthorizationReason === 'string'
        ? item.reauthorizationReason
        : null,
    providerRevocationPending,
    refreshFailingSince: active ? iso(item.failingSince) : null,
  };
}
