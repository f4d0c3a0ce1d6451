/**
 * Reading the lifecycle events back from the emulator: the local stack's tap rule (`source: token-vault`) delivers
 * every event put on the vault's bus to an SQS queue, read here with short polls only (a long poll would hold the
 * serialised emulator for every other test).
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../../local/aws-clients';

/** An EventBridge event as a rule target receives it (moto leaves out `account`). */
export interface EventEnvelope {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: Record<string, unknown> & { readonly eventId: string; readonly userId: string };
}

export class EventTap {
  private readonly sqs: SQSClient;
  /** Every event received so far, in receive order. */
  readonly received: EventEnvelope[] = [];
  /** The raw message bodies, for leak checks. */
  readonly bodies: string[] = [];

  constructor(
    endpoint: string,
    private readonly queueUrl: string,
  ) {
    this.sqs = new SQSClient(awsClientConfig(endpoint));
  }

  /** Receives until the queue is empty; the events new since the last call. */
  async drain(): Promise<EventEnvelope[]> {
    const fresh: EventEnvelope[] = [];
    for (;;) {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      for (const m of messages) {
        this.bodies.push(m.Body ?? '');
        fresh.push(JSON.parse(m.Body ?? '{}') as EventEnvelope);
      }
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    this.received.push(...fresh);
    return fresh;
  }

  /** After draining: the events of `userId` (and of `type`, when given) received so far. */
  async of(userId: string, type?: string): Promise<EventEnvelope[]> {
    await this.drain();
    return this.received.filter((e) => e.detail.userId === userId && (type === undefined || e['detail-type'] === type));
  }

  close(): void {
    this.sqs.destroy();
  }
}
