/**
 * Pending authorization requests. Stored under the SHA-256 of `state` (a table read yields no usable state),
 * consumed exactly once by a conditional delete, expiry checked by the reader (TTL only cleans up, lazily).
 */
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STATES_TABLE } from '../../definitions/tables';
import { hashState } from '../oauth/pkce';
import { toStoreError } from './errors';

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

export interface StateStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default Date.now */
  readonly now?: () => number;
}

export class StateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly now: () => number;

  constructor(options: StateStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.now = options.now ?? Date.now;
  }

  async save(state: string, pending: PendingAuthorization): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [STATES_TABLE.partitionKey.name]: hashState(state),
            ...pending,
            [STATES_TABLE.timeToLiveAttribute]: Math.ceil(pending.expiresAt / 1000),
          },
          // 256 random bits never collide; the condition makes a replayed Put harmless all the same.
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STATES_TABLE.partitionKey.name },
        }),
      );
    } catch (error) {
      throw toStoreError(error, 'PutItem state');
    }
  }

  /**
   * Removes the state and returns what it held; a second call for the same state finds nothing. An expired
   * state is consumed too (it can never be used again) but reported as expired.
   */
  async consume(state: string): Promise<ConsumeResult> {
    try {
      const out = await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { [STATES_TABLE.partitionKey.name]: hashState(state) },
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STATES_TABLE.partitionKey.name },
          ReturnValues: 'ALL_OLD',
        }),
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
      const mapped = toStoreError(error, 'DeleteItem state');
      if (mapped.failure === 'conflict') return { outcome: 'unknown' };
      throw mapped;
    }
  }
}
