/**
 * Refresh tokens the provider has not yet confirmed as revoked. Each is an item of its own in the user's
 * partition (so a reconnect, which replaces the connection item, never erases one), listed in the sparse
 * `refresh-due` index at its next attempt (so the scheduled sweep retries it) and in `records-by-kind` by age
 * (so the oldest one's age is one query: the metric behind the alarm).
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { CONNECTIONS_TABLE, RESERVED_KEYS } from '../../../src/definitions/tables';
import type { Deadline } from '../time/deadline';
import { KEY, pendingItem, type Item } from './codec';
import { StoreError } from './errors';
import type { Table } from './table';
import type { ConnectionKey, PendingRevocation } from './types';

const RECORDS_INDEX = CONNECTIONS_TABLE.globalSecondaryIndexes[1].indexName;

export class PendingRevocations {
  /**
   * @param table the connections table (pending revocations are reserved items in the user's partition)
   * @param now the clock of a pending revocation's due time, in epoch milliseconds; by default `Date.now`
   */
  constructor(
    private readonly table: Table,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an item key (the connections table's sort key) is a pending revocation. */
  static isPendingKey(itemKey: string): boolean {
    return itemKey.startsWith(RESERVED_KEYS.PENDING_REVOCATION_PREFIX);
  }

  /**
   * Records a refresh token to revoke that no revoke transaction holds: the successor a refresh obtained while
   * a revoke ended its connection. Sealed under the connection's binding, like every stored token.
   */
  async add(
    key: ConnectionKey,
    sealed: { encryptedDataKey: Uint8Array; refreshToken: Uint8Array },
    reason: string,
    id: string,
    deadline: Deadline,
    dueAt?: number,
  ): Promise<string> {
    const itemKey = `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}${key.applicationId}#${id}`;
    await this.table.send(
      new PutCommand({
        TableName: this.table.name,
        // `dueAt` (later than now): the sweep leaves the item alone until then (a parked flow that may still complete).
        Item: pendingItem(key, itemKey, sealed.encryptedDataKey, sealed.refreshToken, reason, dueAt ?? this.now()),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': KEY.PK },
      }),
      deadline,
      'put pending revocation',
    );
    return itemKey;
  }

  /**
   * Removes a pending revocation that must not happen after all (a parked flow was activated), only if it is still
   * there; false when it was gone already (the sweep revoked it: the grant is dead).
   */
  async cancel(userId: string, itemKey: string, deadline: Deadline): Promise<boolean> {
    return this.table.sendIfAllowed(
      new DeleteCommand({
        TableName: this.table.name,
        Key: { [KEY.PK]: userId, [KEY.SK]: itemKey },
        ConditionExpression: 'attribute_exists(#pk) AND attempts = :zero',
        ExpressionAttributeNames: { '#pk': KEY.PK },
        ExpressionAttributeValues: { ':zero': 0 },
      }),
      deadline,
      'cancel pending revocation',
    );
  }

  async get(userId: string, itemKey: string, deadline: Deadline): Promise<PendingRevocation | undefined> {
    const out = await this.table.send<{ Item?: Item }>(
      new GetCommand({
        TableName: this.table.name,
        Key: { [KEY.PK]: userId, [KEY.SK]: itemKey },
        ConsistentRead: true,
      }),
      deadline,
      'GetItem pending revocation',
    );
    return out.Item ? decodePending(out.Item) : undefined;
  }

  /**
   * The provider confirmed: the item goes, and the revocation record says so. With `providerConfirmed: false`
   * (a provider that offers no revocation) the item goes and the record keeps saying "not confirmed".
   * True when this call deleted the item (conditional: of two sweeps confirming one revocation, one wins, and
   * only it announces the confirmation).
   */
  async confirm(
    pending: PendingRevocation,
    deadline: Deadline,
    options: { providerConfirmed: boolean } = { providerConfirmed: true },
  ): Promise<boolean> {
    const del = {
      Delete: {
        TableName: this.table.name,
        Key: { [KEY.PK]: pending.userId, [KEY.SK]: pending.itemKey },
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': KEY.PK },
      },
    };
    try {
      if (pending.recordKey === undefined || !options.providerConfirmed) {
        await this.table.send(new DeleteCommand(del.Delete), deadline, 'delete pending revocation');
        return true;
      }
      await this.confirmWithRecord(pending, del, deadline);
      return true;
    } catch (error) {
      if (error instanceof StoreError && error.code === 'conflict') return false;
      throw error;
    }
  }

  private async confirmWithRecord(pending: PendingRevocation, del: object, deadline: Deadline): Promise<void> {
    await this.table.send(
      new TransactWriteCommand({
        TransactItems: [
          del,
          {
            Update: {
              TableName: this.table.name,
              Key: { [KEY.PK]: pending.userId, [KEY.SK]: pending.recordKey },
              UpdateExpression: 'SET revocation.providerConfirmed = :t, providerConfirmedAt = :at',
              ConditionExpression: 'attribute_exists(#pk)',
              ExpressionAttributeNames: { '#pk': KEY.PK },
              ExpressionAttributeValues: { ':t': true, ':at': new Date(this.now()).toISOString() },
            },
          },
        ],
      }),
      deadline,
      'confirm revocation',
    );
  }

  /** A failed attempt: the next one is due after a capped exponential backoff. */
  async retryLater(pending: PendingRevocation, deadline: Deadline): Promise<number> {
    const attempts = pending.attempts + 1;
    const nextAt = this.now() + Math.min(60 * 60 * 1000, 30_000 * 2 ** Math.min(attempts - 1, 10));
    // Another sweep recorded this attempt already.
    await this.table.sendIfAllowed(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { [KEY.PK]: pending.userId, [KEY.SK]: pending.itemKey },
        UpdateExpression: 'SET attempts = :a, refreshDueAt = :next',
        ConditionExpression: 'attempts = :prev',
        ExpressionAttributeValues: { ':a': attempts, ':next': nextAt, ':prev': pending.attempts },
      }),
      deadline,
      'reschedule pending revocation',
    );
    return nextAt;
  }

  /**
   * Per application, the time since its oldest pending revocation was decided: one query of the oldest
   * `limit` pending items (an application not among them has none older).
   */
  async oldestAgeByApplication(deadline: Deadline, limit = 100): Promise<Map<string, number>> {
    const out = await this.table.send<{ Items?: Item[] }>(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: RECORDS_INDEX,
        KeyConditionExpression: 'recordKind = :k',
        ExpressionAttributeValues: { ':k': RESERVED_KEYS.PENDING_REVOCATION_KIND },
        Limit: limit,
      }),
      deadline,
      'Query oldest pending revocations',
    );
    const ages = new Map<string, number>();
    for (const item of out.Items ?? []) {
      const application = String(item.targetApplicationId);
      if (!ages.has(application) && typeof item.since === 'number')
        ages.set(application, Math.max(0, this.now() - item.since));
    }
    return ages;
  }

  /** A user's pending revocations (the status call reports them per application). */
  static fromUserItems(items: readonly Item[]): PendingRevocation[] {
    return items.filter((item) => PendingRevocations.isPendingKey(String(item[KEY.SK]))).map(decodePending);
  }
}

function decodePending(item: Item): PendingRevocation {
  const { encryptedDataKey, refreshToken } = item;
  if (
    !(encryptedDataKey instanceof Uint8Array) ||
    !(refreshToken instanceof Uint8Array) ||
    typeof item.targetApplicationId !== 'string'
  ) {
    throw new StoreError('corrupt', 'Pending revocation item is malformed.');
  }
  return {
    userId: String(item[KEY.PK]),
    applicationId: item.targetApplicationId,
    itemKey: String(item[KEY.SK]),
    encryptedDataKey,
    refreshToken,
    reason: typeof item.reason === 'string' ? item.reason : '',
    since: Number(item.since ?? 0),
    attempts: Number(item.attempts ?? 0),
    ...(typeof item.recordKey === 'string' ? { recordKey: item.recordKey } : {}),
  };
}
