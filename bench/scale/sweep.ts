/**
 * The sweep's throughput over every seeded connection: the real `sweepDue` (index queries, every shard in parallel,
 * SendMessageBatch 4 in flight) into a fresh probe queue, which is deleted afterwards, in one pass; the time spent
 * reading the index and the time spent sending are measured apart (busy time: while at least one call of the kind
 * is open).
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sweepDue } from '@token-vault/cdk/functions/core/refresh/sweep';
import { ConnectionStore } from '@token-vault/cdk/functions/core/store/connection-store';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { SqsWorkQueue } from '@token-vault/cdk/functions/runtime/sqs-work-queue';
import { BusyTimer } from './busy-timer';
import { REFRESH_QUEUE } from '@token-vault/cdk/src/definitions/queues';

export interface SweepFigures {
  readonly found: number;
  readonly enqueued: number;
  readonly totalMs: number;
  /** Busy time of the index queries, and of the sends. */
  readonly queryMs: number;
  readonly sendMs: number;
}

export interface SweepMeasureOptions {
  readonly n: number;
  readonly queueName: string;
  readonly tableName: string;
  readonly horizonMs: number;
  /**
   * One AWS call's budget. The deployed sweep gets 2 s (awsCallTimeoutMs); moto answers a Query of a 1,000-item
   * page over 20,000 items in about 1 s on an idle core, several times that on a loaded one, and the 8 shards'
   * parallel Queries one after another, so the bench gives the emulator's calls longer (printed with the figures).
   */
  readonly awsCallMs: number;
  /** The pass's deadline. */
  readonly deadlineMs: number;
}

export async function measureSweep(sqs: SQSClient, options: SweepMeasureOptions): Promise<SweepFigures> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: options.queueName,
      Attributes: { VisibilityTimeout: String(REFRESH_QUEUE.visibilityTimeoutSeconds) },
    }),
  );
  const query = new BusyTimer();
  const sending = new BusyTimer();
  // One attempt of the whole budget: moto serves the shards' parallel Queries one after another, so the last in
  // line waits for the others; a retry would only queue again.
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      maxAttempts: 1,
      requestHandler: { connectionTimeout: options.awsCallMs, requestTimeout: options.awsCallMs },
    }),
  );
  const store = new ConnectionStore({
    client,
    tableName: options.tableName,
    callTimeoutMs: options.awsCallMs,
  });
  const timedStore = Object.assign(Object.create(store) as ConnectionStore, {
    queryDue: (...args: Parameters<ConnectionStore['queryDue']>) => query.track(() => store.queryDue(...args)),
  });
  const queue = new SqsWorkQueue(sqs, QueueUrl!, options.awsCallMs);
  const timedQueue = {
    sendBatch: (...args: Parameters<SqsWorkQueue['sendBatch']>) => sending.track(() => queue.sendBatch(...args)),
    depth: (...args: Parameters<SqsWorkQueue['depth']>) => queue.depth(...args),
  };
  const started = performance.now();
  let result: Awaited<ReturnType<typeof sweepDue>>;
  try {
    // One pass over everything due, as one sweep invocation would make it in AWS (a 1 MB page of the index in tens
    // of ms); in moto a page takes about a second, so the pass gets the bench's deadline, not the function's.
    result = await sweepDue(timedStore, timedQueue, {
      horizonMs: options.horizonMs,
      deadline: Deadline.fromRemaining(options.deadlineMs, SYSTEM_CLOCK),
      awsCallMs: options.awsCallMs,
      maxItems: options.n,
    });
  } finally {
    client.destroy();
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  }
  return {
    found: result.examined,
    enqueued: result.enqueued,
    totalMs: performance.now() - started,
    queryMs: query.ms,
    sendMs: sending.ms,
  };
}
