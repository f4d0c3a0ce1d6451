/**
 * The proactive sweep, enqueue only: finds the work that is due through the sparse `refresh-due` index (never a
 * table scan), every shard at once and oldest first, so no shard starves under a backlog, and sends it to the
 * refresh work queue in batches. The refresh worker does the work. The sweep makes no provider call and holds no
 * key, so it runs in seconds whatever the provider's latency, and throughput grows with the worker's concurrency.
 *
 * Duplicates are avoided, not relied on: a memo of what this container enqueued within the queue's visibility
 * timeout, and back-pressure from the queue's depth (`maxItems`), so that under a backlog the rest waits in the
 * index, oldest first, and is enqueued once. A duplicate that slips through meets the lease and the version.
 */
import { REFRESH_DUE_SHARDS } from '../../../src/definitions/tables';
import { SEND_BATCH_MAX } from '../../../src/definitions/queues';
import { NO_LOGS, describeError, type VaultLogger } from '../observability';
import type { ConnectionStore } from '../store/connection-store';
import type { DueItem } from '../store/types';
import type { Item } from '../store/codec';
import { PendingRevocations } from '../store/pending-revocations';
import type { Deadline } from '../time/deadline';
import { workKey, workMessage, type WorkMessage, type WorkQueue } from './work-queue';

/** What this container enqueued lately (module scope in the sweep's handler: survives while the container does). */
export class EnqueueMemo {
  private readonly entries = new Map<string, number>();

  constructor(
    /** How long an entry holds: the queue's visibility timeout (after it, a message not deleted is due again). */
    private readonly ttlMs: number,
    /**
     * Oldest entries go first beyond this size.
     * @default 500000
     */
    private readonly maxEntries = 500_000,
  ) {}

  has(key: string, now: number): boolean {
    const at = this.entries.get(key);
    if (at === undefined) return false;
    if (now - at < this.ttlMs) return true;
    this.entries.delete(key);
    return false;
  }

  add(key: string, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, now);
    // A Map iterates in insertion order: the first entries are the oldest.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** One run of the sweep: its look-ahead, time and limits. */
export interface SweepOptions {
  /** Enqueue what will be due within this many milliseconds (at least the schedule's interval). */
  readonly horizonMs: number;
  /** The invocation's deadline: the run stops enqueueing before it. */
  readonly deadline: Deadline;
  /** One AWS call's budget: a page is read, or a batch sent, only while it fits. */
  readonly awsCallMs: number;
  /** Most items enqueued in this run (back-pressure: what the queue can take). */
  readonly maxItems: number;
  /**
   * What this container enqueued recently, so a warm container does not enqueue the same work twice.
   * @default - nothing is remembered between runs
   */
  readonly memo?: EnqueueMemo;
  /**
   * Index items per page of each shard.
   * @default 1000
   */
  readonly pageSize?: number;
  /**
   * SendMessageBatch calls in flight.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
}

export interface SweepResult {
  /** Due items this run looked at. */
  readonly examined: number;
  /** Messages the queue accepted. */
  readonly enqueued: number;
  /** Due items skipped because this container enqueued them within the visibility timeout. */
  readonly alreadyQueued: number;
  /** Entries the queue refused (not memoised: the next sweep sends them again). */
  readonly failed: number;
  /**
   * How far behind the proactive refresh is: now less the oldest connection's due time when that is past, else 0
   * (from the first page of each shard, read oldest first: no extra query).
   */
  readonly backlogMs: number;
  /** The backlog per application (only applications with due connections in the first pages). */
  readonly backlogByApplication: Readonly<Record<string, number>>;
  /** Connections enqueued per application (pending revocations are not counted). */
  readonly enqueuedByApplication: Readonly<Record<string, number>>;
}

export async function sweepDue(store: ConnectionStore, queue: WorkQueue, options: SweepOptions): Promise<SweepResult> {
  const { deadline, memo } = options;
  const logger = options.logger ?? NO_LOGS;
  const pageSize = options.pageSize ?? 1000;
  const clock = deadline.clock;
  const result = {
    examined: 0,
    enqueued: 0,
    alreadyQueued: 0,
    failed: 0,
    backlogMs: 0,
    backlogByApplication: {} as Record<string, number>,
    enqueuedByApplication: {} as Record<string, number>,
  };
  const dueBy = clock.now() + options.horizonMs;
  const cursors = new Map<number, Item | undefined>(
    Array.from({ length: REFRESH_DUE_SHARDS }, (_, shard) => [shard, undefined]),
  );
  let firstPages = true;

  while (cursors.size > 0 && result.enqueued < options.maxItems && deadline.allows(2 * options.awsCallMs)) {
    // One page of every shard that still has work, read in parallel; then the oldest first.
    const pages = await Promise.all(
      [...cursors.entries()].map(async ([shard, cursor]) => {
        try {
          return { shard, page: await store.queryDue(shard, dueBy, pageSize, deadline, cursor) };
        } catch (error) {
          logger.warn('A shard of the due index could not be read.', { shard, ...describeError(error) });
          return { shard, page: { items: [] as DueItem[] } };
        }
      }),
    );
    for (const { shard, page } of pages) {
      if (page.cursor) cursors.set(shard, page.cursor);
      else cursors.delete(shard);
    }
    const now = clock.now();
    const items = pages.flatMap(({ page }) => page.items);
    if (firstPages) {
      firstPages = false;
      for (const item of items) {
        if (PendingRevocations.isPendingKey(item.applicationId)) continue;
        const behind = Math.max(0, now - item.dueAt);
        result.backlogByApplication[item.applicationId] = Math.max(
          result.backlogByApplication[item.applicationId] ?? 0,
          behind,
        );
        result.backlogMs = Math.max(result.backlogMs, behind);
      }
    }
    // A pending revocation is retried when its backoff ends, not ahead like a refresh.
    const batch: WorkMessage[] = [];
    for (const item of items.sort((a, b) => a.dueAt - b.dueAt)) {
      if (PendingRevocations.isPendingKey(item.applicationId) && item.dueAt > now) continue;
      result.examined++;
      const message = workMessage(item);
      if (memo?.has(workKey(message), now)) {
        result.alreadyQueued++;
        continue;
      }
      batch.push(message);
      if (result.enqueued + batch.length >= options.maxItems) break;
    }
    await send(queue, batch, options, result, logger);
  }
  return result;
}

async function send(
  queue: WorkQueue,
  messages: readonly WorkMessage[],
  options: SweepOptions,
  result: { enqueued: number; failed: number; enqueuedByApplication: Record<string, number> },
  logger: VaultLogger,
): Promise<void> {
  const chunks: WorkMessage[][] = [];
  for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) chunks.push(messages.slice(i, i + SEND_BATCH_MAX));
  await runBounded(chunks, options.concurrency ?? 4, async (chunk) => {
    if (!options.deadline.allows(options.awsCallMs)) {
      result.failed += chunk.length;
      return;
    }
    let refused: number[];
    try {
      refused = await queue.sendBatch(chunk, options.deadline);
    } catch (error) {
      // Outcome unknown: not memoised, so the next sweep sends them again (a duplicate at worst).
      logger.warn('A batch could not be enqueued.', { messages: chunk.length, ...describeError(error) });
      result.failed += chunk.length;
      return;
    }
    const now = options.deadline.clock.now();
    chunk.forEach((message, index) => {
      if (refused.includes(index)) {
        result.failed++;
        return;
      }
      result.enqueued++;
      if (message.kind === 'refresh')
        result.enqueuedByApplication[message.applicationId] =
          (result.enqueuedByApplication[message.applicationId] ?? 0) + 1;
      options.memo?.add(workKey(message), now);
    });
  });
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
