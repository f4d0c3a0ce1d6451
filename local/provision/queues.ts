/** SQS queues: the refresh work queue with its dead-letter queue, and the helper the event queues use too. */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { REFRESH_DEAD_LETTER_QUEUE, REFRESH_QUEUE } from '@token-vault/cdk/src/definitions/queues';

/** Creates a queue (or returns the existing one: CreateQueue with the same attributes does) and reads its ARN. */
export async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
  if (!url) throw new Error(`CreateQueue ${name} returned no URL`);
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })))
    .Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes ${name} returned no ARN`);
  return { url, arn };
}

/** The refresh work queue with its dead-letter queue and redrive policy, as the construct builds them. */
export async function ensureQueues(
  sqs: SQSClient,
  prefix: string,
  visibilitySeconds: number,
): Promise<{ refreshQueueUrl: string; refreshDeadLetterQueueUrl: string }> {
  const dlq = await createQueue(sqs, `${prefix}-${REFRESH_DEAD_LETTER_QUEUE.id}`, {
    MessageRetentionPeriod: String(REFRESH_DEAD_LETTER_QUEUE.retentionSeconds),
  });
  const queue = await createQueue(sqs, `${prefix}-${REFRESH_QUEUE.id}`, {
    VisibilityTimeout: String(visibilitySeconds),
    MessageRetentionPeriod: String(REFRESH_QUEUE.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: REFRESH_QUEUE.maxReceiveCount }),
  });
  return { refreshQueueUrl: queue.url, refreshDeadLetterQueueUrl: dlq.url };
}
