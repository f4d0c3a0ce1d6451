/**
 * The `used` policy's writes on a connection: the mark of a served token, and the move of its due time.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deadline } from '../time/deadline';
import { keyOf } from './codec';
import type { Table } from './table';
import type { ActiveConnection } from './types';

/** Marks and reschedules a connection for the proactive refresh. */
export class ConnectionUseMarks {
  constructor(private readonly table: Table) {}

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
    return this.table.sendIfAllowed(
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
  }

  /**
   * Moves the due time of a connection the proactive refresh visited but does not refresh (a token nobody used
   * goes to the keep-alive track), fenced on the version. False when the connection moved on meanwhile.
   */
  async reschedule(connection: ActiveConnection, dueAt: number, deadline: Deadline): Promise<boolean> {
    return this.table.sendIfAllowed(
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
  }
}
