/**
 * The refresh worker's batch: every record of an SQS batch at once, each through the same core as every other
 * refresh (the coordinator's proactive demand: the lease, the version fence, the cool-downs), so a duplicate, a
 * redelivery after a crash or a race with an on-demand fetch costs a read, never a second provider refresh.
 *
 * A record is reported as failed (SQS delivers it again after the visibility timeout, and after `maxReceiveCount`
 * receives moves it to the dead-letter queue) exactly when trying again can help and nothing else will bring the
 * work back: no time left to start a whole refresh, an AWS call whose outcome is unknown, or a body that is not a
 * work message (a bug: only the sweep writes the queue; it is kept in the dead-letter queue for inspection).
 * Everything else is acknowledged: refreshed, not due, leased by a peer, cooling down (the release moved its due
 * time: the index brings it back), or ended (reauthorization required, not connected).
 */
import { VaultError } from '../errors';
import { NO_LOGS, describeError, type VaultLogger } from '../observability';
import type { ConnectionKey } from '../store/types';
import type { Deadline } from '../time/deadline';
import { wholeRefreshMs, type RefreshTiming } from './budget';
import { decodeWorkMessage, type WorkMessage } from './work-queue';

/** What the worker does with each message (the coordinator and the revocation service). */
export interface WorkerWork {
  /** True when the connection now holds a newer token. */
  refreshIfDue(key: ConnectionKey, horizonMs: number, deadline: Deadline): Promise<boolean>;
  /** True when the provider confirmed the revocation. */
  retryRevocation(userId: string, itemKey: string, deadline: Deadline): Promise<boolean>;
}

/** One SQS record, as much of it as the worker needs. */
export interface WorkRecord {
  readonly messageId: string;
  readonly body: string;
}

/** One batch of the refresh worker: its look-ahead and time. */
export interface WorkerOptions {
  /** Refresh what will be due within this many milliseconds (the sweep's look-ahead). */
  readonly horizonMs: number;
  /** The invocation's deadline: no refresh starts that can't finish before it. */
  readonly deadline: Deadline;
  /** The time one AWS call, one provider call and one lease may take. */
  readonly timing: RefreshTiming;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
}

export type WorkOutcome = 'refreshed' | 'nothing_to_do' | 'revocation_confirmed' | 'ended' | 'retry' | 'malformed';

export interface BatchResult {
  /** Message ids to deliver again (the event source's `batchItemFailures`). */
  readonly failed: string[];
  /** Per outcome, how many records. */
  readonly outcomes: Partial<Record<WorkOutcome, number>>;
}

export async function workBatch(
  records: readonly WorkRecord[],
  work: WorkerWork,
  options: WorkerOptions,
): Promise<BatchResult> {
  const logger = options.logger ?? NO_LOGS;
  const outcomes: Partial<Record<WorkOutcome, number>> = {};
  const failed: string[] = [];
  await Promise.all(
    records.map(async (record) => {
      const outcome = await workOne(record, work, options, logger);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome === 'retry' || outcome === 'malformed') failed.push(record.messageId);
    }),
  );
  return { failed, outcomes };
}

async function workOne(
  record: WorkRecord,
  work: WorkerWork,
  options: WorkerOptions,
  logger: VaultLogger,
): Promise<WorkOutcome> {
  const message = decodeWorkMessage(record.body);
  if (message === undefined) {
    // Never the body in the log: only its size and id.
    logger.error('A refresh queue message is not a work message; left to the dead-letter queue.', {
      messageId: record.messageId,
      bodyLength: record.body.length,
    });
    return 'malformed';
  }
  const { deadline, timing } = options;
  // A read and a whole refresh must fit, or it is not started (the message comes back; a peer may take it).
  if (!deadline.allows(timing.awsCallMs + wholeRefreshMs(timing))) return 'retry';
  try {
    return await run(message, work, options);
  } catch (error) {
    if (error instanceof VaultError && error.code !== 'internal_error') {
      // Settled for this message: the connection ended, or the refresh failed at the provider and the connection
      // cools down (its due time moved to the cool-down's end: the index brings it back).
      logger.warn('Proactive work ended without a refresh.', {
        userId: message.userId,
        kind: message.kind,
        ...describeError(error),
      });
      return 'ended';
    }
    logger.warn('Proactive work failed; the message comes back after the visibility timeout.', {
      userId: message.userId,
      kind: message.kind,
      ...describeError(error),
    });
    return 'retry';
  }
}

async function run(message: WorkMessage, work: WorkerWork, options: WorkerOptions): Promise<WorkOutcome> {
  if (message.kind === 'revocation') {
    return (await work.retryRevocation(message.userId, message.itemKey, options.deadline))
      ? 'revocation_confirmed'
      : 'nothing_to_do';
  }
  const refreshed = await work.refreshIfDue(
    { userId: message.userId, applicationId: message.applicationId },
    options.horizonMs,
    options.deadline,
  );
  return refreshed ? 'refreshed' : 'nothing_to_do';
}
