/**
 * Reads of the connections table: the strongly consistent read of one connection, a user's partition, revocation
 * records, the per-application counters, and pages of the `refresh-due` index.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { CONNECTIONS_TABLE, RESERVED_KEYS } from '../../../src/definitions/tables';
import type { Deadline } from '../time/deadline';
import { KEY, decodeConnection, keyOf, type Item } from './codec';
import type { Table } from './table';
import type { Connection, ConnectionKey, DueItem, RevocationRecord } from './types';

const DUE_INDEX = CONNECTIONS_TABLE.globalSecondaryIndexes[0].indexName;
const RECORDS_INDEX = CONNECTIONS_TABLE.globalSecondaryIndexes[1].indexName;

/** The connections table's reads. */
export class ConnectionReads {
  constructor(
    private readonly table: Table,
    /** The hot read's table (a plain client with its middleware cached), when there is one. */
    private readonly readTable: Table | undefined,
  ) {}

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
}
