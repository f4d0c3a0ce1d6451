/** The event bus with its retry and dead-letter queues, and the tap the local stack and the tests read. */
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceNotFoundException,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  EVENT_RETRY_RECEIVES,
  EVENT_RETRY_VISIBILITY_SECONDS,
  eventBusName,
} from '@token-vault/cdk/src/definitions/events';
import { createQueue } from './queues';

/** The event bus, the retry queue with its dead-letter queue (as the construct makes them) and the tap. */
export async function ensureEvents(
  eventBridge: EventBridgeClient,
  sqs: SQSClient,
  prefix: string,
): Promise<{
  eventBusArn: string;
  eventRetryQueueUrl: string;
  eventDeadLetterQueueUrl: string;
  eventTapQueueUrl: string;
}> {
  const busName = eventBusName(prefix);
  let eventBusArn: string | undefined;
  try {
    eventBusArn = (await eventBridge.send(new DescribeEventBusCommand({ Name: busName }))).Arn;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  eventBusArn ??= (await eventBridge.send(new CreateEventBusCommand({ Name: busName }))).EventBusArn;
  if (!eventBusArn) throw new Error(`CreateEventBus ${busName} returned no ARN`);
  const deadLetters = await createQueue(sqs, `${prefix}-event-dead-letters`);
  const retries = await createQueue(sqs, `${prefix}-event-retries`, {
    VisibilityTimeout: String(EVENT_RETRY_VISIBILITY_SECONDS),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: EVENT_RETRY_RECEIVES }),
  });
  const tap = await createQueue(sqs, `${prefix}-events-tap`);
  const rule = `${prefix}-events-tap`;
  await eventBridge.send(
    new PutRuleCommand({
      Name: rule,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: ['token-vault'] }),
      State: 'ENABLED',
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [{ Id: 'tap', Arn: tap.arn }] }),
  );
  return {
    eventBusArn,
    eventRetryQueueUrl: retries.url,
    eventDeadLetterQueueUrl: deadLetters.url,
    eventTapQueueUrl: tap.url,
  };
}
