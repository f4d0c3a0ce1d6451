/** The refresh work queue on SQS: the sweep's {@link WorkQueue}, every call bounded by the invocation's deadline. */
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeWorkMessage, type WorkMessage, type WorkQueue } from '../core/refresh/work-queue';
import type { Deadline } from '../core/time/deadline';

export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly callTimeoutMs: number,
  ) {}

  async sendBatch(messages: readonly WorkMessage[], deadline: Deadline): Promise<number[]> {
    if (messages.length === 0) return [];
    const out = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), MessageBody: encodeWorkMessage(m) })),
      }),
      { abortSignal: deadline.signal(this.callTimeoutMs) },
    );
    return (out.Failed ?? []).map((entry) => Number(entry.Id));
  }

  async depth(deadline: Deadline): Promise<number> {
    const out = await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      { abortSignal: deadline.signal(this.callTimeoutMs) },
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
}
