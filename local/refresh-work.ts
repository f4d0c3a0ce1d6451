/**
 * The refresh queue's event source, locally: what Lambda's SQS event source mapping does for the refresh worker
 * (receive a batch, invoke the worker with an SQS event, delete what it did not report as failed; a failed or
 * crashed batch comes back after the visibility timeout, and after `maxReceiveCount` receives moto's redrive
 * policy moves it to the dead-letter queue), plus the schedule's timer for the sweep. moto's own event source
 * emulation is not used: it would invoke moto's Lambda, not the vault's handlers.
 *
 * Shared by the local stack, the test harness and the bench, so they cannot drift.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { REFRESH_QUEUE } from '@token-vault/cdk/src/definitions/queues';

/** Invokes a function (in-process) with an event; resolves to its answer, rejects when it threw or timed out. */
export type Invoke = (event: unknown) => Promise<unknown>;

export interface RefreshWorkOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** The queue's ARN as the event shows it (`eventSourceARN`). */
  readonly queueArn?: string;
  readonly sweep: Invoke;
  readonly worker: Invoke;
  /** Records per batch (the event source's BatchSize). @default REFRESH_QUEUE.batchSize */
  readonly batchSize?: number;
  /** Writes a log line (never message bodies). */
  readonly log?: (level: 'INFO' | 'WARN' | 'ERROR', message: string, fields?: Record<string, unknown>) => void;
}

export interface BatchFigures {
  /** Messages received. */
  readonly received: number;
  /** Of which not deleted (reported failed, or the whole batch when the worker crashed). */
  readonly failed: number;
}

/** What a running loop does; `stop` waits for the batch in flight. */
export interface RefreshWorkLoop {
  stop(): Promise<void>;
}

export class RefreshWork {
  constructor(private readonly o: RefreshWorkOptions) {}

  /** The same event source with another worker (e.g. one that crashes after its work, in a test). */
  withWorker(wrap: (worker: Invoke) => Invoke): RefreshWork {
    return new RefreshWork({ ...this.o, worker: wrap(this.o.worker) });
  }

  /** One scheduled sweep (the rule's payload). */
  sweep(): Promise<unknown> {
    return this.o.sweep({ sweep: true });
  }

  /** Receives one batch (no long poll: the emulator serialises requests) and has the worker work it. */
  async workOnce(): Promise<BatchFigures> {
    const { Messages = [] } = await this.o.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.o.queueUrl,
        MaxNumberOfMessages: this.o.batchSize ?? REFRESH_QUEUE.batchSize,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return { received: 0, failed: 0 };
    let failedIds: Set<string>;
    try {
      const answer = (await this.o.worker(this.event(Messages))) as SQSBatchResponse | undefined;
      failedIds = new Set((answer?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      // As in Lambda: a batch whose invocation failed comes back whole after the visibility timeout.
      this.o.log?.('WARN', 'refresh worker invocation failed; the batch comes back after the visibility timeout', {
        messages: Messages.length,
        errorName: (error as Error)?.name,
      });
      return { received: Messages.length, failed: Messages.length };
    }
    const done = Messages.filter((m) => !failedIds.has(m.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      await this.o.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.o.queueUrl,
          Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    return { received: Messages.length, failed: Messages.length - done.length };
  }

  /** Works batches until a receive finds none (messages in flight elsewhere stay invisible). */
  async drain(maxBatches = 10_000): Promise<BatchFigures> {
    let received = 0;
    let failed = 0;
    for (let i = 0; i < maxBatches; i++) {
      const batch = await this.workOnce();
      if (batch.received === 0) break;
      received += batch.received;
      failed += batch.failed;
    }
    return { received, failed };
  }

  /**
   * Runs the event source (`pollers` concurrent batches, each polling every `idleMs` when the queue is empty) and,
   * with `sweepSeconds`, the schedule.
   */
  start(
    options: { readonly pollers?: number; readonly idleMs?: number; readonly sweepSeconds?: number } = {},
  ): RefreshWorkLoop {
    let stopped = false;
    const idleMs = options.idleMs ?? 500;
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
    const poller = async (): Promise<void> => {
      while (!stopped) {
        try {
          if ((await this.workOnce()).received === 0) await sleep(idleMs);
        } catch (error) {
          if (!stopped) this.o.log?.('WARN', 'refresh queue poll failed', { errorName: (error as Error)?.name });
          await sleep(idleMs);
        }
      }
    };
    const pollers = Array.from({ length: options.pollers ?? 1 }, () => poller());
    const timer =
      options.sweepSeconds !== undefined && options.sweepSeconds > 0
        ? setInterval(() => {
            this.sweep().catch((error: unknown) =>
              this.o.log?.('WARN', 'scheduled sweep failed', { errorName: (error as Error)?.name }),
            );
          }, options.sweepSeconds * 1000).unref()
        : undefined;
    return {
      stop: async () => {
        stopped = true;
        if (timer) clearInterval(timer);
        await Promise.all(pollers);
      },
    };
  }

  private event(messages: readonly Message[]): SQSEvent {
    const region = process.env.AWS_REGION || 'us-east-1';
    return {
      Records: messages.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: m.Attributes?.SenderId ?? 'local',
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: this.o.queueArn ?? `arn:aws:sqs:${region}:123456789012:${this.o.queueUrl.split('/').pop()}`,
        awsRegion: region,
      })),
    };
  }
}
