/**
 * The refresh worker's throughput at one concurrency: `workers` event-source pollers, each its own "Lambda
 * container" (SDK clients, caches), each receiving `batchSize` messages at a time and working them with the real
 * `workBatch`, then deleting them. A level works a fixed number of messages (due connections not refreshed before)
 * from a fresh queue, so the levels do the same work and none overshoots a time window. The stub provider counts
 * grants, per account, and reuses.
 */
import { performance } from 'node:perf_hooks';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { workBatch, type WorkOutcome } from '@token-vault/cdk/functions/core/refresh/worker';
import { encodeWorkMessage } from '@token-vault/cdk/functions/core/refresh/work-queue';
import type { ConnectionKey } from '@token-vault/cdk/functions/core/store/types';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import type { Container } from '@token-vault/cdk/functions/runtime/container';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { REFRESH_QUEUE, SEND_BATCH_MAX } from '@token-vault/cdk/src/definitions/queues';
import { millis } from '@token-vault/cdk/src/definitions/tunables';
import { RefreshWork } from '../../local/refresh-work';
import { countAwsCalls } from '../aws-calls';
import type { StubProvider, StubStats } from './provider';

export interface LevelFigures {
  readonly workers: number;
  readonly batchSize: number;
  readonly providerMs: number;
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly outcomes: Partial<Record<WorkOutcome, number>>;
  readonly provider: StubStats;
  /** AWS calls of the worker containers, per service and command, summed. */
  readonly calls: Record<string, number>;
}

export interface LevelOptions {
  readonly workers: number;
  readonly batchSize: number;
  readonly providerMs: number;
  /** Due connections, one message each. */
  readonly keys: readonly ConnectionKey[];
  readonly queueName: string;
  /** A new worker container (the functions' environment, pointed at the stub provider). */
  readonly newContainer: () => Container;
}

export async function measureLevel(sqs: SQSClient, stub: StubProvider, o: LevelOptions): Promise<LevelFigures> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: o.queueName,
      Attributes: { VisibilityTimeout: String(REFRESH_QUEUE.visibilityTimeoutSeconds) },
    }),
  );
  const queueUrl = QueueUrl!;
  try {
    for (let i = 0; i < o.keys.length; i += SEND_BATCH_MAX) {
      const entries = o.keys.slice(i, i + SEND_BATCH_MAX).map((key, j) => ({
        Id: String(j),
        MessageBody: encodeWorkMessage({ kind: 'refresh', ...key, dueAt: Date.now() }),
      }));
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
    await stub.setLatency(o.providerMs);
    await stub.resetStats();
    const outcomes: Partial<Record<WorkOutcome, number>> = {};
    const counters = [] as Array<ReturnType<typeof countAwsCalls>>;
    const pollers = Array.from({ length: o.workers }, () => {
      const container = o.newContainer();
      counters.push(countAwsCalls(container));
      const coordinator = container.coordinator();
      const revocation = container.revocation();
      const horizonMs = millis(container.tunables, 'sweepLookaheadSeconds');
      return new RefreshWork({
        sqs,
        queueUrl,
        batchSize: o.batchSize,
        sweep: () => Promise.resolve(undefined),
        worker: async (event) => {
          const records = (event as SQSEvent).Records.map((r) => ({ messageId: r.messageId, body: r.body }));
          const result = await workBatch(
            records,
            {
              refreshIfDue: (key, h, d) => coordinator.refreshIfDue(key, h, d),
              retryRevocation: (u, k, d) => revocation.retryRevocation(u, k, d),
            },
            {
              horizonMs,
              deadline: Deadline.fromRemaining(FUNCTIONS.refreshWorker.timeoutSeconds * 1000, SYSTEM_CLOCK),
              timing: container.timing,
            },
          );
          for (const [outcome, n] of Object.entries(result.outcomes))
            outcomes[outcome as WorkOutcome] = (outcomes[outcome as WorkOutcome] ?? 0) + n;
          return { batchItemFailures: result.failed.map((itemIdentifier) => ({ itemIdentifier })) };
        },
      });
    });
    const started = performance.now();
    await Promise.all(pollers.map((work) => work.drain()));
    const seconds = (performance.now() - started) / 1000;
    const calls: Record<string, number> = {};
    for (const counter of counters)
      for (const [name, n] of Object.entries(counter.calls)) calls[name] = (calls[name] ?? 0) + n;
    return {
      workers: o.workers,
      batchSize: o.batchSize,
      providerMs: o.providerMs,
      messages: o.keys.length,
      seconds,
      perSecond: (outcomes.refreshed ?? 0) / seconds,
      outcomes,
      provider: await stub.stats(),
      calls,
    };
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  }
}
