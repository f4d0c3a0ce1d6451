/**
 * The DynamoDB schema, defined once: infra/ builds the tables from it, local/ creates them in the emulator
 * from it, and the store code reads and writes by these names.
 */

/** Attribute types as DynamoDB names them. */
export type KeyType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** KEYS_ONLY keeps the index small where the reader re-reads the item anyway. */
  readonly projection: 'KEYS_ONLY' | 'ALL';
}

export interface TableDefinition {
  /** Logical id in CDK and the default physical name suffix locally. */
  readonly id: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
}

/**
 * Connections: one item per (user, application) with the encrypted tokens, plus reserved items whose keys
 * start with `#` (a character user and application ids cannot contain): per-application counters and
 * revocation records.
 */
export const CONNECTIONS_TABLE = {
  id: 'Connections',
  partitionKey: { name: 'userId', type: 'S' },
  sortKey: { name: 'applicationId', type: 'S' },
  timeToLiveAttribute: 'expiresAtEpochSeconds',
  globalSecondaryIndexes: [
    {
      // Sparse: only active connections with a refresh token, and pending provider revocations, carry
      // `dueShard`, so the sweep reads exactly the work that is due, never the whole table.
      indexName: 'refresh-due',
      partitionKey: { name: 'dueShard', type: 'S' },
      sortKey: { name: 'refreshDueAt', type: 'N' },
      projection: 'KEYS_ONLY',
    },
    {
      // Sparse: revocation records, newest last, listable without a scan.
      indexName: 'records-by-kind',
      partitionKey: { name: 'recordKind', type: 'S' },
      sortKey: { name: 'recordedAt', type: 'S' },
      projection: 'ALL',
    },
  ],
} as const satisfies TableDefinition;

/** Pending authorization requests, keyed by the SHA-256 of the `state` value (the raw state is never stored). */
export const STATES_TABLE = {
  id: 'OAuthStates',
  partitionKey: { name: 'stateHash', type: 'S' },
  timeToLiveAttribute: 'expiresAtEpochSeconds',
  globalSecondaryIndexes: [],
} as const satisfies TableDefinition;

export const TABLES = [CONNECTIONS_TABLE, STATES_TABLE] as const;

/** Number of partitions of the `refresh-due` index (spreads the sweep's writes and reads). */
export const REFRESH_DUE_SHARDS = 8;

/** Reserved keys in the connections table. */
export const RESERVED_KEYS = {
  /** `userId` of the per-application counter items; `applicationId` is the application. */
  COUNTER_USER_ID: '#counters',
  /** `applicationId` prefix of revocation records: `#revocation#<ISO time>#<applicationId>`. */
  REVOCATION_PREFIX: '#revocation#',
  /** `recordKind` of revocation records in the `records-by-kind` index. */
  REVOCATION_KIND: 'revocation',
  /**
   * `applicationId` prefix of a refresh token the provider has not yet confirmed as revoked:
   * `#pending-revocation#<applicationId>#<id>`. Such items sit in the `refresh-due` index until confirmed.
   */
  PENDING_REVOCATION_PREFIX: '#pending-revocation#',
  /** `recordKind` of pending revocations in the `records-by-kind` index (oldest first: the age alarm). */
  PENDING_REVOCATION_KIND: 'pending_revocation',
  /**
   * `applicationId` of the item that ends a user's authorization flows: attribute `notBefore:<applicationId>`
   * (or `notBefore:*` for all) holds the time of the last revoke; a flow started before it cannot complete.
   */
  FLOWS_MARKER: '#flows',
} as const;
