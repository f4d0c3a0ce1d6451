/**
 * Puts the events waiting in the retry queue (those whose first put failed) on the bus again. Called by the
 * sweep at each run, within a slice of its time. An event the bus refuses again stays in the queue and comes back
 * after the visibility timeout; after five receives SQS moves it to the dead-letter queue (alarmed). A re-put
 * event keeps its `eventId`, so a consumer recognises the rare duplicate (a first put whose answer was lost).
 */
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { Deadline } from '../time/deadline';
import { EVENT_BATCH } from './publisher';
import type { EventBusPort, RetryQueuePort } from './transport';

/** One drain of the event retry queue. */
export interface DrainOptions {
  /** The event bus the retried entries are put on. */
  readonly bus: EventBusPort;
  /** The retry queue the entries are received from and deleted in. */
  readonly retries: RetryQueuePort;
  /** Budget of one AWS call: a batch starts only while receive, put and delete fit. */
  readonly callMs: number;
  /**
   * How long one drain keeps starting batches: the first batch runs whenever the deadline allows one, a later one
   * only while less than this has passed (and the deadline allows it), so a drain may end up to one batch past it.
   * @default - until the deadline
   */
  readonly budgetMs?: number;
  /**
   * Most batches of one drain.
   * @default 10 (batches of 10)
   */
  readonly maxBatches?: number;
  /**
   * Where counts and latencies go.
   * @default - nothing is recorded
   */
  readonly metrics?: VaultMetrics;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
}

export interface DrainResult {
  readonly published: number;
  readonly failed: number;
}

export async function drainEventRetries(o: DrainOptions, deadline: Deadline): Promise<DrainResult> {
  const metrics = o.metrics ?? NO_METRICS;
  const logger = o.logger ?? NO_LOGS;
  const seen = new Set<string>();
  let published = 0;
  let failed = 0;
  const batchMs = 3 * o.callMs;
  const started = deadline.clock.now();
  // The budget is counted from here, not handed in as a shorter deadline: a slice of exactly one batch, asked
  // "does a batch fit?" a millisecond later, answers no, and the queue would never be drained.
  const inBudget = (batch: number): boolean =>
    batch === 0 || deadline.clock.now() - started < (o.budgetMs ?? Number.POSITIVE_INFINITY);
  for (let batch = 0; batch < (o.maxBatches ?? 10) && deadline.allows(batchMs) && inBudget(batch); batch++) {
    let messages;
    try {
      messages = await o.retries.receive(EVENT_BATCH, deadline.within(o.callMs));
    } catch (error) {
      logger.warn('The event retry queue could not be read.', describeError(error));
      break;
    }
    // A message seen in this run came back (its visibility ran out): the queue holds nothing new.
    const fresh = messages.filter((m) => !seen.has(m.id));
    if (fresh.length === 0) break;
    for (const m of fresh) seen.add(m.id);
    const events = fresh.filter((m) => m.entry !== undefined);
    let accepted: boolean[] = events.map(() => false);
    if (events.length > 0) {
      try {
        accepted = await o.bus.put(
          events.map((m) => m.entry!),
          deadline.within(o.callMs),
        );
      } catch (error) {
        logger.warn('Re-putting queued connection events failed; they stay queued.', {
          count: events.length,
          ...describeError(error),
        });
      }
    }
    const done = events.filter((_, i) => accepted[i]);
    failed += fresh.length - done.length;
    for (const [i, m] of events.entries())
      metrics.count('CONNECTION_EVENT_RETRY', {
        Application: String(m.entry!.detail.applicationId),
        Result: accepted[i] ? 'published' : 'failed',
      });
    if (done.length > 0) {
      try {
        await o.retries.delete(
          done.map((m) => m.receipt),
          deadline.within(o.callMs),
        );
      } catch (error) {
        // Put but not deleted: it is put again next time, with the same eventId.
        logger.warn('Re-put connection events could not be deleted from the retry queue.', describeError(error));
      }
      published += done.length;
    }
  }
  return { published, failed };
}
