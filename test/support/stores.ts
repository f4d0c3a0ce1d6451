/**
 * The stores of packages/cdk/functions/core/store built directly on fresh tables in the run's emulator, with the
 * time they write and compare (`now`) on a virtual clock; DynamoDB calls run on real time (testDeadline). For the
 * stores' own tests: what each conditional write refuses, seen in the items moto holds.
 */
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConnectionStore } from '@token-vault/cdk/functions/core/store/connection-store';
import { FlowStore } from '@token-vault/cdk/functions/core/store/flow-store';
import { ImportClaims } from '@token-vault/cdk/functions/core/store/import-claims';
import { LeaseStore } from '@token-vault/cdk/functions/core/store/lease-store';
import { PendingRevocations } from '@token-vault/cdk/functions/core/store/pending-revocations';
import { StateStore } from '@token-vault/cdk/functions/core/store/state-store';
import type { ActiveConnection, ConnectionKey, StoredTokens } from '@token-vault/cdk/functions/core/store/types';
import { freshResources, type FreshResources } from './aws';
import { ManualClock } from './clock';
import { testDeadline } from './refresh';

/** Longest one DynamoDB call may take in these tests (the emulator on a loaded machine). */
const CALL_TIMEOUT_MS = 5_000;

export interface StoresOnMoto {
  readonly aws: FreshResources;
  /** What the stores take as now; moves only when the test advances it. */
  readonly clock: ManualClock;
  readonly connections: ConnectionStore;
  readonly leases: LeaseStore;
  readonly pending: PendingRevocations;
  readonly states: StateStore;
  readonly flows: FlowStore;
  readonly importClaims: ImportClaims;
  /** An item of the connections table as stored (strongly consistent), or undefined. */
  item(userId: string, applicationId: string): Promise<Record<string, unknown> | undefined>;
  /** Every item of a user's partition in the connections table. */
  userItems(userId: string): Promise<Array<Record<string, unknown>>>;
  /** The active-connection counter of an application (0 when none was written). */
  counter(applicationId: string): Promise<number>;
  /** Saves a new active connection (no previous item) and answers it. */
  connect(key: ConnectionKey, tokens?: StoredTokens): Promise<ActiveConnection>;
  close(): Promise<void>;
}

/** Token material as the stores see it: opaque sealed bytes (the stores never open them) and the clear times. */
export function sealedTokens(issuedAt: number, overrides: Partial<StoredTokens> = {}): StoredTokens {
  return {
    encryptedDataKey: new Uint8Array([1, 2, 3]),
    accessToken: new Uint8Array([4, 5, 6]),
    refreshToken: new Uint8Array([7, 8, 9]),
    tokenType: 'Bearer',
    scope: 'read',
    accessTokenIssuedAt: issuedAt,
    accessTokenExpiresAt: issuedAt + 60 * 60 * 1000,
    ...overrides,
  };
}

export async function storesOnMoto(): Promise<StoresOnMoto> {
  const aws = await freshResources();
  const clock = new ManualClock();
  const now = (): number => clock.now();
  const tables = { client: aws.doc, callTimeoutMs: CALL_TIMEOUT_MS };
  const connections = new ConnectionStore({ ...tables, tableName: aws.connectionsTable, now });
  const item = async (userId: string, applicationId: string) =>
    (
      await aws.doc.send(
        new GetCommand({ TableName: aws.connectionsTable, Key: { userId, applicationId }, ConsistentRead: true }),
      )
    ).Item;
  return {
    aws,
    clock,
    connections,
    leases: new LeaseStore(connections.table, now),
    pending: new PendingRevocations(connections.table, now),
    states: new StateStore({ ...tables, tableName: aws.statesTable, now }),
    flows: new FlowStore({ ...tables, tableName: aws.statesTable }, now),
    importClaims: new ImportClaims({ ...tables, tableName: aws.statesTable }, now),
    item,
    async userItems(userId) {
      const out = await aws.doc.send(
        new QueryCommand({
          TableName: aws.connectionsTable,
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': userId },
          ConsistentRead: true,
        }),
      );
      return out.Items ?? [];
    },
    async counter(applicationId) {
      return Number((await item('#counters', applicationId))?.activeConnections ?? 0);
    },
    connect: (key, tokens = sealedTokens(clock.now())) =>
      connections.saveConnected(
        key,
        undefined,
        tokens,
        { connectionId: `c-${key.userId}`, dueAt: tokens.accessTokenExpiresAt, flowStartedAt: clock.now() },
        testDeadline(),
      ),
    async close() {
      try {
        await Promise.allSettled(
          [aws.connectionsTable, aws.statesTable].map((TableName) =>
            aws.ddb.send(new DeleteTableCommand({ TableName })),
          ),
        );
      } finally {
        aws.close();
      }
    },
  };
}
