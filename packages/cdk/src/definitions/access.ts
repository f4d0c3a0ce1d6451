/**
 * Least privilege, written once: what each function may do to each resource. `VaultFunction` turns these lists
 * into IAM statements and environment variables, `EnvelopeKey` turns the key usage into key policy statements,
 * and the tests assert the synthesized policies against the same lists.
 */
import { ENV, type EnvName } from './env';
import { FUNCTIONS, type FunctionKey } from './functions';
import type { CONNECTIONS_TABLE } from './tables';

/** DynamoDB actions the vault uses. No function gets Scan, BatchWriteItem or a table-wide `dynamodb:*`. */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:Query';

/** Index names of the connections table, taken from its definition. */
export type ConnectionsIndexName = (typeof CONNECTIONS_TABLE.globalSecondaryIndexes)[number]['indexName'];

/** KMS operations on the envelope key: data keys are made by writers and unwrapped by readers. */
export type KeyUsage = 'kms:Decrypt' | 'kms:GenerateDataKey';

export interface FunctionAccess {
  /** Item actions on the OAuth states table; empty: the table is not bound (no env var, no grant). */
  readonly statesTable: readonly TableAction[];
  /**
   * Actions on the connections table itself (transactions need the per-item action of each operation; Query here
   * is on the base table, e.g. all connections of one user).
   */
  readonly connectionsTable: readonly TableAction[];
  /** Indexes of the connections table this function queries (dynamodb:Query on the index ARN only). */
  readonly connectionsIndexes: readonly ConnectionsIndexName[];
  /** Envelope key operations; empty: no key env var and no key permission. */
  readonly key: readonly KeyUsage[];
  /** Reads the application client secrets (secretsmanager:GetSecretValue on exactly those secrets). */
  readonly readsClientSecrets: boolean;
  /** Publishes lifecycle events (events:PutEvents on the vault's bus, sqs:SendMessage on the retry queue). */
  readonly publishesEvents: boolean;
  /** Drains the event retry queue (the sweep: sqs:ReceiveMessage and DeleteMessage on it). */
  readonly drainsEventRetries: boolean;
}

/**
 * The save of a new connection (callback, complete, import; functions/core/vault/connection-saver.ts): the read,
 * then one transaction that puts the connection, checks the marker of flows a revoke ended, updates the
 * per-application counter and puts the replaced grant's pending revocation. A save without any refresh token also
 * queries the user's pending revocations first (callback and complete; an import always brings its token).
 */
const CONNECTION_SAVE = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
] as const satisfies readonly TableAction[];

/**
 * token-fetch and refresh: the on-demand refresh (lease, commit, release with cool-down: GetItem, UpdateItem; a
 * successor rotated while a revoke landed is recorded as a pending revocation: PutItem), and the audit trail's
 * fingerprint key, read or made once per deployment (GetItem, PutItem, GenerateDataKey, Decrypt).
 */
const ON_DEMAND_REFRESH = {
  statesTable: [],
  connectionsTable: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  connectionsIndexes: [],
  key: ['kms:Decrypt', 'kms:GenerateDataKey'],
  readsClientSecrets: true,
  publishesEvents: true,
  drainsEventRetries: false,
} as const satisfies FunctionAccess;

/**
 * Per function. Transactions (TransactWriteItems with the per-application counter item) are authorized by the
 * actions of the operations inside them, so they need no action of their own.
 */
export const FUNCTION_ACCESS = {
  connect: {
    statesTable: ['dynamodb:PutItem'],
    connectionsTable: [],
    connectionsIndexes: [],
    key: [],
    readsClientSecrets: false,
    publishesEvents: false,
    drainsEventRetries: false,
  },
  callback: {
    // PutItem: session binding parks the tokens under the flow handle.
    statesTable: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
    // The save; Decrypt: a reconnect without a new refresh token keeps (re-seals) the live one.
    connectionsTable: [...CONNECTION_SAVE, 'dynamodb:Query'],
    connectionsIndexes: [],
    key: ['kms:Decrypt', 'kms:GenerateDataKey'],
    readsClientSecrets: true,
    publishesEvents: true,
    drainsEventRetries: false,
  },
  tokenFetch: ON_DEMAND_REFRESH,
  // Forced (after a 401), on demand only (the sweep is its own function): what token-fetch may do.
  refresh: ON_DEMAND_REFRESH,
  revoke: {
    statesTable: [],
    connectionsTable: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    connectionsIndexes: [],
    key: ['kms:Decrypt'],
    readsClientSecrets: true,
    publishesEvents: true,
    drainsEventRetries: false,
  },
  importConnection: {
    // The claim of a validated import in flight, put before the provider call and deleted after.
    statesTable: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
    // The save and its read-back; GenerateDataKey seals the imported tokens. No Decrypt and no Query: an import
    // always brings its refresh token.
    connectionsTable: CONNECTION_SAVE,
    connectionsIndexes: [],
    key: ['kms:GenerateDataKey'],
    readsClientSecrets: true,
    publishesEvents: true,
    drainsEventRetries: false,
  },
  status: {
    statesTable: [],
    // One Query of the user's partition, projected to metadata: no token attribute, no key, no secrets.
    connectionsTable: ['dynamodb:Query'],
    connectionsIndexes: [],
    key: [],
    readsClientSecrets: false,
    publishesEvents: false,
    drainsEventRetries: false,
  },
  sweep: {
    statesTable: [],
    // Reads only: the due index, the per-application active counters (Query on one base-table partition) and the
    // oldest pending revocation (records-by-kind). No key, no secret: it never sees a token. Sends to the refresh
    // queue (granted by RefreshQueue).
    connectionsTable: ['dynamodb:Query'],
    connectionsIndexes: ['refresh-due', 'records-by-kind'],
    key: [],
    readsClientSecrets: false,
    // It publishes nothing of its own, but puts again the events whose first put failed (the bus and the retry
    // queue's receive, delete and, for a put that fails again, send).
    publishesEvents: true,
    drainsEventRetries: true,
  },
  refreshWorker: {
    statesTable: [],
    // A proactive refresh (lease, commit, release), and the retry of a pending provider revocation (DeleteItem
    // once confirmed). Consumes the refresh queue (granted by its event source).
    connectionsTable: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    connectionsIndexes: [],
    key: ['kms:Decrypt', 'kms:GenerateDataKey'],
    readsClientSecrets: true,
    // Refreshes and revocation retries commit changes: their events.
    publishesEvents: true,
    drainsEventRetries: false,
  },
  complete: {
    // On states: the parked flow's claim (UpdateItem; GetItem reads a claim whose answer was lost back) and its
    // deletion once the outcome is known. On connections: the save (as the callback's) and DeleteItem of the parked
    // grant's pending revocation. Decrypt: opens the parked tokens; GenerateDataKey: seals them for the connection.
    // Client secrets: a refused flow's grant is revoked at the provider.
    statesTable: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    connectionsTable: [...CONNECTION_SAVE, 'dynamodb:DeleteItem', 'dynamodb:Query'],
    connectionsIndexes: [],
    key: ['kms:Decrypt', 'kms:GenerateDataKey'],
    readsClientSecrets: true,
    // An activated flow is a new connection: its event.
    publishesEvents: true,
    drainsEventRetries: false,
  },
  // Only logs:CreateLogStream and logs:PutLogEvents on the audit log group (granted by the construct).
  auditForwarder: {
    statesTable: [],
    connectionsTable: [],
    connectionsIndexes: [],
    key: [],
    readsClientSecrets: false,
    publishesEvents: false,
    drainsEventRetries: false,
  },
} as const satisfies Record<FunctionKey, FunctionAccess>;

/** Function keys in a stable order (the order of {@link FUNCTIONS}). */
export const FUNCTION_KEYS = Object.keys(FUNCTIONS) as FunctionKey[];

/** Functions allowed the given key operation, in {@link FUNCTION_KEYS} order. */
export function functionsWithKeyUsage(usage: KeyUsage): FunctionKey[] {
  return FUNCTION_KEYS.filter((key) => (FUNCTION_ACCESS[key].key as readonly KeyUsage[]).includes(usage));
}

/**
 * The resource variables a function is given (the construct binds a table or the key only with a grant on it):
 * the function reads exactly these at cold start.
 */
export function boundVariables(key: FunctionKey): EnvName[] {
  const access: FunctionAccess = FUNCTION_ACCESS[key];
  return [
    ENV.APPLICATIONS,
    ...(access.statesTable.length > 0 ? [ENV.STATES_TABLE] : []),
    ...(access.connectionsTable.length > 0 || access.connectionsIndexes.length > 0 ? [ENV.CONNECTIONS_TABLE] : []),
    ...(access.key.length > 0 ? [ENV.KEY_ID] : []),
  ];
}
