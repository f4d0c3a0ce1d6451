/**
 * Parked flows of session-bound applications (README "Session binding"): after the code exchange the callback
 * stores the tokens here, sealed under the flow's (userId, applicationId) binding, keyed by the SHA-256 of a
 * single-use handle that only the redirect to `returnTo` carries. `complete` claims the item exactly once (a
 * conditional write of its own claim id), so a handle activates, or is refused, once; a claim whose answer was lost
 * is read back by that id, so an SDK retry does not turn the caller's own claim into "already used". The claimed
 * item is deleted once the `complete` has its outcome. Lives in the states table: an item of another kind, told
 * apart by the `flow#` prefix of its key; TTL only cleans up (expiry is checked here).
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { STATES_TABLE } from '../../../src/definitions/tables';
import { hashState } from '../oauth/pkce';
import type { Deadline } from '../time/deadline';
import { StoreError } from './errors';
import { Table, type DocumentClient } from './table';

/** What a parked flow holds: sealed tokens and the facts the save needs later. Never a plaintext token. */
export interface ParkedFlow {
  readonly userId: string;
  readonly applicationId: string;
  /** The `connect`'s time: the save refuses a flow a revoke ended (the flows marker), as the callback's does. */
  readonly flowStartedAt: number;
  readonly encryptedDataKey: Uint8Array;
  readonly accessToken: Uint8Array;
  readonly refreshToken?: Uint8Array;
  readonly tokenType: string;
  readonly scope?: string;
  readonly expiresIn?: number;
  readonly refreshTokenExpiresIn?: number;
  /** When the code exchange was sent: lifetimes count from then. */
  readonly requestedAt: number;
  /** Sort key of the pending revocation that ends the grant if the flow is never completed. */
  readonly companionKey?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export type FlowConsumeResult =
  { readonly outcome: 'unknown' } | { readonly outcome: 'consumed' | 'expired'; readonly flow: ParkedFlow };

/** Key of a parked flow in the states table: never the handle itself. */
export function flowKey(handle: string): string {
  return `flow#${hashState(handle)}`;
}

export class FlowStore {
  private readonly table: Table;

  /**
   * @param options the document client, the states table's name, and the longest one call may take
   * @param now the clock of a parked flow's expiry, in epoch milliseconds; by default `Date.now`
   */
  constructor(
    options: { client: DocumentClient; tableName: string; callTimeoutMs: number },
    private readonly now: () => number = Date.now,
  ) {
    this.table = new Table(options.client, options.tableName, options.callTimeoutMs);
  }

  async park(handle: string, flow: ParkedFlow, deadline: Deadline): Promise<void> {
    await this.table.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          [STATES_TABLE.partitionKey.name]: flowKey(handle),
          kind: 'parked_flow',
          ...flow,
          [STATES_TABLE.timeToLiveAttribute]: Math.ceil(flow.expiresAt / 1000),
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': STATES_TABLE.partitionKey.name },
      }),
      deadline,
      'PutItem parked flow',
    );
  }

  /**
   * Claims the parked flow for one `complete` (`claim`: an id of that call) and returns it; any later claim of the
   * same handle finds nothing. When the claim's answer was lost and the SDK's retry met the claim itself, the item
   * is read back and recognised by the id.
   */
  async claim(handle: string, claim: string, deadline: Deadline): Promise<FlowConsumeResult> {
    const key = { [STATES_TABLE.partitionKey.name]: flowKey(handle) };
    try {
      const out = await this.table.send<{ Attributes?: Record<string, unknown> }>(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key,
          UpdateExpression: 'SET claimId = :claim',
          ConditionExpression: 'attribute_exists(#pk) AND kind = :kind AND attribute_not_exists(claimId)',
          ExpressionAttributeNames: { '#pk': STATES_TABLE.partitionKey.name },
          ExpressionAttributeValues: { ':kind': 'parked_flow', ':claim': claim },
          ReturnValues: 'ALL_NEW',
        }),
        deadline,
        'UpdateItem parked flow claim',
      );
      return out.Attributes ? this.judge(out.Attributes) : { outcome: 'unknown' };
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'conflict')) throw error;
    }
    const { Item } = await this.table.send<{ Item?: Record<string, unknown> }>(
      new GetCommand({ TableName: this.table.name, Key: key, ConsistentRead: true }),
      deadline,
      'GetItem parked flow claim',
    );
    return Item?.kind === 'parked_flow' && Item.claimId === claim ? this.judge(Item) : { outcome: 'unknown' };
  }

  /**
   * Deletes a flow this claim holds, once its `complete` has an outcome (the sealed tokens go with it). A flow
   * whose `complete` never got this far is left to its TTL: claimed, it cannot be used again.
   */
  async release(handle: string, claim: string, deadline: Deadline): Promise<void> {
    // Already deleted: a retry of this delete whose first answer was lost.
    await this.table.sendIfAllowed(
      new DeleteCommand({
        TableName: this.table.name,
        Key: { [STATES_TABLE.partitionKey.name]: flowKey(handle) },
        ConditionExpression: 'claimId = :claim',
        ExpressionAttributeValues: { ':claim': claim },
      }),
      deadline,
      'DeleteItem parked flow',
    );
  }

  private judge(item: Record<string, unknown>): FlowConsumeResult {
    const flow = decodeFlow(item);
    return { outcome: flow.expiresAt <= this.now() ? 'expired' : 'consumed', flow };
  }
}

function decodeFlow(item: Record<string, unknown>): ParkedFlow {
  const bytes = (v: unknown): Uint8Array | undefined => (v instanceof Uint8Array ? v : undefined);
  const encryptedDataKey = bytes(item.encryptedDataKey);
  const accessToken = bytes(item.accessToken);
  if (
    encryptedDataKey === undefined ||
    accessToken === undefined ||
    typeof item.userId !== 'string' ||
    typeof item.applicationId !== 'string'
  ) {
    throw new StoreError('corrupt', 'Parked flow item is malformed.');
  }
  const optional = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> =>
    v === undefined ? {} : ({ [k]: v } as Record<K, V>);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    userId: item.userId,
    applicationId: item.applicationId,
    flowStartedAt: Number(item.flowStartedAt),
    encryptedDataKey,
    accessToken,
    tokenType: String(item.tokenType),
    requestedAt: Number(item.requestedAt),
    createdAt: Number(item.createdAt),
    expiresAt: Number(item.expiresAt),
    ...optional('refreshToken', bytes(item.refreshToken)),
    ...optional('scope', str(item.scope)),
    ...optional('expiresIn', num(item.expiresIn)),
    ...optional('refreshTokenExpiresIn', num(item.refreshTokenExpiresIn)),
    ...optional('companionKey', str(item.companionKey)),
  };
}
