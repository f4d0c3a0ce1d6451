/**
 * The connections table: one item per (user, application), plus reserved items (counters, revocation records,
 * pending provider revocations, the marker that ends a user's authorization flows). Every change of a
 * connection is a conditional write fenced by `version`; transitions that change the number of active
 * connections update the per-application counter in the same transaction, so the count is exact without a scan.
 * The refresh lease lives in {@link LeaseStore}; the refresh policy's due time is handed in (`dueAt`). Reads,
 * lifecycle writes and the `used` policy's marks live in their own files; this class is the one door to them.
 */
import { Table, type DocumentClient } from './table';
import { ConnectionReads } from './connection-reads';
import { ConnectionUseMarks } from './connection-use-marks';
import { ConnectionWrites } from './connection-writes';

/** Where the connections table is, and how long one call to it may take. */
export interface ConnectionStoreOptions {
  /** The document client every write (and, without `readClient`, every read) goes through. */
  readonly client: DocumentClient;
  /** The connections table's name. */
  readonly tableName: string;
  /** Longest one DynamoDB call may take, SDK retries included. */
  readonly callTimeoutMs: number;
  /**
   * A plain DynamoDB client for the hot read (`get`), created with `cacheMiddleware: true` so the SDK does not
   * rebuild its middleware stack on every call (the document client refuses that option).
   * @default - reads go through `client`
   */
  readonly readClient?: DocumentClient;
  /**
   * The clock of `updatedAt`, revocation records and the flows marker, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** The connections table, through one object: each method is its reads', writes' or use marks' own. */
export class ConnectionStore {
  readonly table: Table;
  private readonly reads: ConnectionReads;
  private readonly writes: ConnectionWrites;
  private readonly useMarks: ConnectionUseMarks;

  constructor(options: ConnectionStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.callTimeoutMs);
    const readTable = options.readClient
      ? new Table(options.readClient, options.tableName, options.callTimeoutMs)
      : undefined;
    this.reads = new ConnectionReads(this.table, readTable);
    this.writes = new ConnectionWrites(this.table, options.now ?? Date.now);
    this.useMarks = new ConnectionUseMarks(this.table);
  }

  /** {@inheritDoc ConnectionReads.get} */
  get(...args: Parameters<ConnectionReads['get']>): ReturnType<ConnectionReads['get']> {
    return this.reads.get(...args);
  }

  /** {@inheritDoc ConnectionReads.listForUser} */
  listForUser(...args: Parameters<ConnectionReads['listForUser']>): ReturnType<ConnectionReads['listForUser']> {
    return this.reads.listForUser(...args);
  }

  /** {@inheritDoc ConnectionReads.queryUser} */
  queryUser(...args: Parameters<ConnectionReads['queryUser']>): ReturnType<ConnectionReads['queryUser']> {
    return this.reads.queryUser(...args);
  }

  /** {@inheritDoc ConnectionWrites.saveConnected} */
  saveConnected(...args: Parameters<ConnectionWrites['saveConnected']>): ReturnType<ConnectionWrites['saveConnected']> {
    return this.writes.saveConnected(...args);
  }

  /** {@inheritDoc ConnectionWrites.endFlows} */
  endFlows(...args: Parameters<ConnectionWrites['endFlows']>): ReturnType<ConnectionWrites['endFlows']> {
    return this.writes.endFlows(...args);
  }

  /** {@inheritDoc ConnectionUseMarks.markFetched} */
  markFetched(...args: Parameters<ConnectionUseMarks['markFetched']>): ReturnType<ConnectionUseMarks['markFetched']> {
    return this.useMarks.markFetched(...args);
  }

  /** {@inheritDoc ConnectionUseMarks.reschedule} */
  reschedule(...args: Parameters<ConnectionUseMarks['reschedule']>): ReturnType<ConnectionUseMarks['reschedule']> {
    return this.useMarks.reschedule(...args);
  }

  /** {@inheritDoc ConnectionWrites.markReauthorizationRequired} */
  markReauthorizationRequired(
    ...args: Parameters<ConnectionWrites['markReauthorizationRequired']>
  ): ReturnType<ConnectionWrites['markReauthorizationRequired']> {
    return this.writes.markReauthorizationRequired(...args);
  }

  /** {@inheritDoc ConnectionWrites.markRevoked} */
  markRevoked(...args: Parameters<ConnectionWrites['markRevoked']>): ReturnType<ConnectionWrites['markRevoked']> {
    return this.writes.markRevoked(...args);
  }

  /** {@inheritDoc ConnectionReads.listRevocations} */
  listRevocations(
    ...args: Parameters<ConnectionReads['listRevocations']>
  ): ReturnType<ConnectionReads['listRevocations']> {
    return this.reads.listRevocations(...args);
  }

  /** {@inheritDoc ConnectionReads.activeCounts} */
  activeCounts(...args: Parameters<ConnectionReads['activeCounts']>): ReturnType<ConnectionReads['activeCounts']> {
    return this.reads.activeCounts(...args);
  }

  /** {@inheritDoc ConnectionReads.queryDue} */
  queryDue(...args: Parameters<ConnectionReads['queryDue']>): ReturnType<ConnectionReads['queryDue']> {
    return this.reads.queryDue(...args);
  }

  /** {@inheritDoc ConnectionWrites.counterUpdate} */
  counterUpdate(...args: Parameters<ConnectionWrites['counterUpdate']>): ReturnType<ConnectionWrites['counterUpdate']> {
    return this.writes.counterUpdate(...args);
  }

  /** {@inheritDoc ConnectionWrites.transact} */
  transact(...args: Parameters<ConnectionWrites['transact']>): ReturnType<ConnectionWrites['transact']> {
    return this.writes.transact(...args);
  }
}
