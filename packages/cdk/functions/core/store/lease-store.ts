/**
 * The single-flight refresh lease on a connection item. Every write is fenced on the connection's `version`
 * and, once held, on the lease's owner id (one id per acquisition), so a holder whose lease ran out and was
 * taken over can never write over its successor's work.
 *
 * Protocol:
 * - acquire: only when no live lease exists (`leaseExpiresAt < now`) at the version the caller read;
 * - extend: the holder pushes the expiry out before a provider attempt that would not fit;
 * - commit: the new tokens and `version + 1`, the lease released, in one write;
 * - release: the lease given back (after a failure, with the cool-down every container then respects).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deadline } from '../time/deadline';
import {
  FAILURE_ATTRIBUTES,
  decodeConnection,
  dueAttributes,
  keyOf,
  tokenAttributes,
  updateExpression,
  type Item,
} from './codec';
import { StoreError } from './errors';
import type { Table } from './table';
import type { ActiveConnection, Cooldown, Lease, StoredTokens } from './types';

export class LeaseStore {
  /**
   * @param table the connections table (the lease lives in the connection's item)
   * @param now the clock of `updatedAt` and cool-downs, in epoch milliseconds; by default `Date.now`
   */
  constructor(
    private readonly table: Table,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes the lease for `leaseMs` when the item is still at the version read and no live lease exists. Returns
   * the lease, or undefined when someone else holds one or the item moved on (re-read). A lost answer surfaces
   * as an `unavailable` StoreError: the caller re-reads and finds its own `owner` if the write landed.
   */
  async acquire(
    connection: ActiveConnection,
    owner: string,
    leaseMs: number,
    deadline: Deadline,
  ): Promise<Lease | undefined> {
    const now = this.now();
    const lease: Lease = { owner, expiresAt: now + leaseMs };
    return this.conditional(
      {
        UpdateExpression: 'SET leaseOwner = :o, leaseExpiresAt = :exp',
        ConditionExpression:
          '#v = :v AND #s = :active AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
        ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
        ExpressionAttributeValues: {
          ':o': owner,
          ':exp': lease.expiresAt,
          ':v': connection.version,
          ':active': 'active',
          ':now': now,
        },
      },
      connection,
      deadline,
      'acquire lease',
    ).then((won) => (won ? lease : undefined));
  }

  /** Pushes the holder's lease out to `leaseMs` from now. Undefined when the lease was lost. */
  async extend(
    connection: ActiveConnection,
    lease: Lease,
    leaseMs: number,
    deadline: Deadline,
  ): Promise<Lease | undefined> {
    const next: Lease = { owner: lease.owner, expiresAt: this.now() + leaseMs };
    return this.conditional(
      {
        UpdateExpression: 'SET leaseExpiresAt = :exp',
        ConditionExpression: '#v = :v AND leaseOwner = :o',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':exp': next.expiresAt, ':v': connection.version, ':o': lease.owner },
      },
      connection,
      deadline,
      'extend lease',
    ).then((won) => (won ? next : undefined));
  }

  /**
   * Writes refreshed tokens, only while this owner still holds the lease at the version it was taken at: the new
   * refresh token replaces the old one in the same write as the new access token (RFC 6749 §6), and the lease
   * and any cool-down are cleared. Throws a `conflict` StoreError when the lease or version moved.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  async commit(
    connection: ActiveConnection,
    lease: Lease,
    tokens: StoredTokens,
    dueAt: number,
    deadline: Deadline,
    forced = false,
    fetchedAt?: number,
  ): Promise<ActiveConnection> {
    const now = this.now();
    const iso = new Date(now).toISOString();
    const set: Item = {
      ...tokenAttributes(tokens),
      ...dueAttributes(connection, tokens, dueAt),
      updatedAt: iso,
      lastRefreshAt: iso,
      version: connection.version + 1,
      ...(forced ? { lastForcedRefreshAt: now } : {}),
      // A refresh made for a caller: the new token is used by the answer (no separate mark needed).
      ...(fetchedAt === undefined ? {} : { lastFetchedAt: fetchedAt }),
    };
    // A due refresh restarts the forced-refresh limit: the first forced refresh of its token is always made.
    const remove = [
      'leaseOwner',
      'leaseExpiresAt',
      'cooldownUntil',
      'lastErrorCode',
      ...FAILURE_ATTRIBUTES,
      ...(forced ? [] : ['lastForcedRefreshAt']),
    ];
    if (tokens.refreshToken === undefined)
      remove.push('refreshToken', 'refreshTokenExpiresAt', 'refreshTokenExpiryAssumed', 'dueShard', 'refreshDueAt');
    if (tokens.refreshTokenExpiresAt === undefined) remove.push('refreshTokenExpiresAt');
    if (tokens.refreshTokenExpiryAssumed === undefined) remove.push('refreshTokenExpiryAssumed');
    const out = await this.table.send<{ Attributes?: Item }>(
      new UpdateCommand({
        TableName: this.table.name,
        Key: keyOf(connection),
        ...updateExpression(
          set,
          remove,
          '#v = :cv AND leaseOwner = :owner',
          { '#v': 'version' },
          { ':cv': connection.version, ':owner': lease.owner },
        ),
        ReturnValues: 'ALL_NEW',
      }),
      deadline,
      'commit refresh',
    );
    const committed = decodeConnection(out.Attributes);
    if (committed?.status !== 'active')
      throw new StoreError('corrupt', 'commit refresh: the written item is not active.');
    return committed;
  }

  /**
   * Gives the lease back. With a cool-down (after a failed refresh) every container answers from it until it
   * ends, and the sweep comes back then; the failure streak grows by one (and `announcedAt`, when given, records
   * that this failure is announced as an event). False when the lease or version had moved (nothing of ours to
   * release).
   */
  async release(
    connection: ActiveConnection,
    lease: Lease,
    cooldown: Cooldown | undefined,
    deadline: Deadline,
    announcedAt?: number,
  ): Promise<boolean> {
    const values: Item = { ':v': connection.version, ':o': lease.owner };
    let update = 'REMOVE leaseOwner, leaseExpiresAt';
    if (cooldown) {
      // The announced failure's time is the streak's start when it starts one: the event and the item agree.
      const now = announcedAt ?? this.now();
      update =
        `SET cooldownUntil = :c, lastErrorCode = :e, updatedAt = :u${connection.tokens.refreshToken === undefined ? '' : ', refreshDueAt = :c'}` +
        `, failingSince = if_not_exists(failingSince, :now)${announcedAt === undefined ? '' : ', lastFailureEventAt = :ann'} ADD failureStreak :one ${update}`;
      Object.assign(values, {
        ':c': cooldown.until,
        ':e': cooldown.errorCode,
        ':u': new Date(now).toISOString(),
        ':now': now,
        ':one': 1,
        ...(announcedAt === undefined ? {} : { ':ann': announcedAt }),
      });
    }
    return this.conditional(
      {
        UpdateExpression: update,
        ConditionExpression: '#v = :v AND leaseOwner = :o',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: values,
      },
      connection,
      deadline,
      'release lease',
    );
  }

  /** One conditional update: true when applied, false when its condition failed. */
  private async conditional(
    parts: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Item;
    },
    connection: ActiveConnection,
    deadline: Deadline,
    operation: string,
  ): Promise<boolean> {
    return this.table.sendIfAllowed(
      new UpdateCommand({ TableName: this.table.name, Key: keyOf(connection), ...parts }),
      deadline,
      operation,
    );
  }
}
