/**
 * refresh-sweep: invoked by the schedule rule only (its one Lambda permission names the rule; no caller grant
 * reaches it). Finds the connections due within the look-ahead and the provider revocations not yet confirmed,
 * and enqueues them for the refresh worker; puts again the lifecycle events whose first put failed; then samples
 * the gauges.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { sweepRequestSchema } from '../contract/requests';
import { drainEventRetries } from '../core/events/drain-retries';
import { describeError } from '../core/observability';
import { EnqueueMemo, sweepDue } from '../core/refresh/sweep';
import type { Deadline } from '../core/time/deadline';
import { ENV } from '../../src/definitions/env';
import { REFRESH_QUEUE, SWEEP_MAX_QUEUED } from '../../src/definitions/queues';
import { millis } from '../../src/definitions/tunables';
import { Container } from '../runtime/container';
import { sdkClientConfig } from '../runtime/sdk-config';
import { requireEnv } from '../runtime/config';
import { invokeHandler } from '../runtime/invoke-handler';
import { vaultLogger, vaultMetrics } from '../runtime/powertools';
import { SqsWorkQueue } from '../runtime/sqs-work-queue';

const vault = new Container(process.env, 'sweep');
const queue = new SqsWorkQueue(
  new SQSClient(sdkClientConfig(vault.timing.awsCallMs)),
  requireEnv(ENV.REFRESH_QUEUE_URL, process.env),
  vault.timing.awsCallMs,
);
/** What this container enqueued within the visibility timeout: the schedule keeps the container warm. */
const memo = new EnqueueMemo(REFRESH_QUEUE.visibilityTimeoutSeconds * 1000);

export const handler = invokeHandler(sweepRequestSchema, async (_input, deadline) => {
  // Lifecycle events whose first put failed: put again, within a slice of the sweep's time.
  await drainQueuedEvents(deadline);
  let waiting = 0;
  try {
    waiting = await queue.depth(deadline);
  } catch (error) {
    vaultLogger.warn(
      'The refresh queue depth could not be read; enqueueing without back-pressure.',
      describeError(error),
    );
  }
  const { backlogByApplication, enqueuedByApplication, ...result } = await sweepDue(vault.connections(), queue, {
    horizonMs: millis(vault.tunables, 'sweepLookaheadSeconds'),
    deadline,
    awsCallMs: vault.timing.awsCallMs,
    maxItems: Math.max(0, SWEEP_MAX_QUEUED - waiting),
    memo,
    logger: vaultLogger,
  });
  // How far behind the proactive refresh is, and what it sent, per application (0 for an application with none).
  for (const application of vault.applications().ids()) {
    vaultMetrics.timing('REFRESH_BACKLOG_AGE', { Application: application }, backlogByApplication[application] ?? 0);
    vaultMetrics.count('REFRESH_ENQUEUED', { Application: application }, enqueuedByApplication[application] ?? 0);
  }
  // Gauges sampled once per sweep: the exact active counters (one Query, whatever the user count) and the age
  // of the oldest revocation the provider has not confirmed. A failed sample is skipped, not the answer.
  try {
    for (const [application, active] of Object.entries(await vault.connections().activeCounts(deadline))) {
      vaultMetrics.count('ACTIVE_TOKENS', { Application: application }, active);
    }
    const ages = await vault.pending().oldestAgeByApplication(deadline);
    for (const application of vault.applications().ids())
      vaultMetrics.timing('OLDEST_PENDING_REVOCATION_AGE', { Application: application }, ages.get(application) ?? 0);
  } catch (error) {
    vaultLogger.warn('Sweep gauges could not be read.', describeError(error));
  }
  return { ...result, queued: waiting };
});

/** Drains the event retry queue when this vault publishes events; never fails the sweep. */
async function drainQueuedEvents(deadline: Deadline): Promise<void> {
  if (!vault.publishesEvents) return;
  try {
    await drainEventRetries(
      {
        bus: vault.eventBus(),
        retries: vault.eventRetries(),
        callMs: vault.timing.awsCallMs,
        // A tenth of the sweep (at least one batch runs when the sweep's deadline allows it).
        budgetMs: deadline.remaining() / 10,
        metrics: vaultMetrics,
        logger: vaultLogger,
      },
      deadline,
    );
  } catch (error) {
    vaultLogger.warn('Queued connection events could not be drained.', describeError(error));
  }
}
