/**
 * The usage the cost and capacity model assumes: every figure here is printed with the model's output. Change
 * them here (one place), never to make a target look met.
 */
export interface Usage {
  /** Users per cost row; one connection each. */
  readonly users: number;
  /** Share of all connections used on an average day. */
  readonly dailyActive: number;
  /** Hours a used connection is in use on its day (one session). */
  readonly sessionHours: number;
  /** Share of connections not used at all in a month (kept alive only). */
  readonly dormant: number;
  /** Provider round trip of a refresh, billed while the function waits. */
  readonly providerMs: number;
  /** In-region latency of one call, billed. */
  readonly dynamoMs: number;
  readonly kmsMs: number;
  /** The worker's own CPU per refresh at its memory size (parsing, sealing). */
  readonly cpuMsPerRefresh: number;
  /** A `refresh-due` index entry (KEYS_ONLY): under 1 KB, so a key move is 1 WRU delete + 1 WRU put. */
  readonly indexEntryBytes: number;
  /** Billed ms of one sweep invocation (parallel index queries and sends). */
  readonly sweepMs: number;
  /** SQS event-source pollers long-polling (20 s) while the queue is idle, and their receives per minute. */
  readonly idlePollers: number;
  readonly idlePollsPerMinute: number;
}

export const USAGE: Usage = {
  users: 10_000,
  dailyActive: 0.2,
  sessionHours: 8,
  dormant: 0.5,
  providerMs: 300,
  dynamoMs: 4,
  kmsMs: 6,
  cpuMsPerRefresh: 5,
  indexEntryBytes: 100,
  sweepMs: 150,
  idlePollers: 5,
  idlePollsPerMinute: 3,
};
