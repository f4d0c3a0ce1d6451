/**
 * Pending authorization requests. Stored under the SHA-256 of `state` (a table read yields no usable state),
 * consumed exactly once by a conditional delete, expiry checked by the reader (TTL only cleans up, lazily).
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATES_TABLE } from '../../../src/definitions/tables';
import { hashState } from '../oauth/pkce';
import type { Deadline } from '../time/deadline';
import { StoreError } from './errors';
import { Table, type DocumentClient } from './table';

export interface PendingAuthorization {
  readonly userId: string;
  readonly applicationId: string;
  readonly codeVerifier: string;
  readonly scopes: readonly string[];
  readonly returnTo?: string;
  /** SHA-256 of the browser-binding cookie value, when the flow is bound to the browser that started it. */
  readonly browserBindingHash?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export type ConsumeResult =
  | { readonly outcome: 'consumed'; readonly pending: PendingAuthorization }
  | { readonly outcome: 'unknown' }
  | { readonly outcome: 'expired'; readonly pending: PendingAuthorization };

/** Where the states table is, and how long one call to it may take. */
export interface StateStoreOptions {
  /** The document client. */
  readonly client: DocumentClient;
  /** The states table's name. */
  readonly tableName: string;
  /** Longest one DynamoDB call may take, SDK retries included. */
  readonly callTimeoutMs: number;
  /**
   * The clock of a state's creation and expiry, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

export class StateStore {
  private readonly table: Table;
  private readonly now: () => number;

  constructor(options: StateStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.callTimeoutMs);
    this.now = options.now ?? Date.now;
  }

  async save(state: string, pending: PendingAuthorization, deadline: Deadline): Promise<void> {
    await this.table.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          [STATES_TABLE.partitionKey.name]: hashState(state),
          ...pending,
          [STATES_TABLE.timeToLiveAttribute]: Math.ceil(pending.expiresAt / 1000),
        },
        // 256 random bits never collide; the condition makes a replayed Put harmless all the same.
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': STATES_TABLE.partitionKey.name },
      }),
      deadline,
      'PutItem state',
    );
  }

  /**
   * Removes the state and returns what it held; a second call for the same state finds nothing. An expired
   * state is consumed too (it can never be used again) but reported as expired.
   */
  async consume(state: string, deadline: Deadline): Promise<ConsumeResult> {
    try {
      const out = await this.table.send<{ Attributes?: Record<string, unknown> }>(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { [STATES_TABLE.partitionKey.name]: hashState(state) },
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STATES_TABLE.partitionKey.name },
          ReturnValues: 'ALL_OLD',
        }),
        deadline,
        'DeleteItem state',
      );
      const item = out.Attributes as (PendingAuthorization & Record<string, unknown>) | undefined;
      if (!item) return { outcome: 'unknown' };
      const pending: PendingAuthorization = {
        userId: item.userId,
        applicationId: item.applicationId,
        codeVerifier: item.codeVerifier,
        scopes: item.scopes,
        createdAt: item.createdAt,
        expiresAt: item.expiresAt,
        ...(item.returnTo === undefined ? {} : { returnTo: item.returnTo }),
        ...(item.browserBindingHash === undefined ? {} : { browserBindingHash: item.browserBindingHash }),
      };
      return pending.expiresAt <= this.now() ? { outcome: 'expired', pending } : { outcome: 'consumed', pending };
    } catch (error) {
      if (error instanceof StoreError && error.code === 'conflict') return { outcome: 'unknown' };
      throw error;
    }
  }
}
