/**
 * The refresh work queue: the sweep enqueues the connections that are due, the refresh worker refreshes them.
 * Defined once for the construct (SQS queues, event source mapping) and the local stack (moto's SQS, the worker
 * loop). A message is only a hint: the `refresh-due` index stays the source of truth, so a lost, duplicated or
 * dead-lettered message delays a refresh but never breaks a guarantee (the lease and the version fence the rest).
 */
export interface QueueDefinition {
  /** Name suffix (local: `${prefix}-${id}`). */
  readonly id: string;
  /** How long a received message stays invisible; a failed item comes back after it. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
}

export const REFRESH_QUEUE = {
  id: 'refresh-work',
  // 6 × the worker's timeout (AWS's advice for SQS event sources): a message comes back only when the worker
  // that took it is surely gone, and with it its lease (timingProblems checks lease ≤ worker timeout ≤ this).
  visibilityTimeoutSeconds: 180,
  // The sweep enqueues again what is still due; an old message is worth nothing.
  retentionSeconds: 24 * 60 * 60,
  /** Receives before a message goes to the dead-letter queue. */
  maxReceiveCount: 5,
  /** Records per worker invocation (all worked at once). */
  batchSize: 10,
  /** How long the event source gathers a batch. */
  maxBatchingWindowSeconds: 2,
} as const satisfies QueueDefinition & Record<string, unknown>;

export const REFRESH_DEAD_LETTER_QUEUE = {
  id: 'refresh-work-dlq',
  visibilityTimeoutSeconds: 30,
  retentionSeconds: 14 * 24 * 60 * 60,
} as const satisfies QueueDefinition;

/** SendMessageBatch takes at most 10 entries. */
export const SEND_BATCH_MAX = 10;

/**
 * Default `MaximumConcurrency` of the worker's event source: concurrent worker invocations, each with up to
 * `batchSize` refreshes in flight. It bounds the load on the provider and the vault's concurrency.
 */
export const DEFAULT_WORKER_MAX_CONCURRENCY = 2;

/**
 * Back-pressure: the sweep enqueues at most this many messages less those already waiting, so under a backlog
 * the rest waits in the index (oldest first, enqueued once) instead of piling up as duplicates in the queue.
 */
export const SWEEP_MAX_QUEUED = 20_000;
