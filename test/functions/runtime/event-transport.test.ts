/**
 * The event bus and the retry queue over the SDK against moto (packages/cdk/functions/runtime/event-transport.ts):
 * what the bus accepts reaches its rule's target as the contract's envelope; the retry queue hands back what it
 * took, refuses to guess a body that is not an event, and deletes what it is told.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '@token-vault/cdk/functions/contract/events';
import { connectionEvent } from '@token-vault/cdk/functions/core/events/publisher';
import type { EventEntry } from '@token-vault/cdk/functions/core/events/transport';
import { EventBridgeBus, SqsRetryQueue } from '@token-vault/cdk/functions/runtime/event-transport';
import { awsClientConfig } from '../../../local/aws-clients';
import { freshResources, type FreshResources } from '../../support/aws';
import { EventTap } from '../../support/events';
import { testDeadline } from '../../support/refresh';

let aws: FreshResources;
let sqs: SQSClient;
let eventBridge: EventBridgeClient;
let tap: EventTap;
beforeAll(async () => {
  aws = await freshResources();
  sqs = new SQSClient(awsClientConfig(aws.endpoint));
  eventBridge = new EventBridgeClient(awsClientConfig(aws.endpoint));
  tap = new EventTap(aws.endpoint, aws.eventTapQueueUrl);
}, 60_000);
afterAll(() => {
  tap?.close();
  sqs?.destroy();
  eventBridge?.destroy();
  aws?.close();
});

const T0 = Date.UTC(2026, 0, 1);
/** A new event (a new eventId on every call). */
const entry = (userId: string): EventEntry =>
  connectionEvent(EVENT_DETAIL_TYPES.revoked, { userId, applicationId: 'app', connectionId: 'c-1' }, T0, {
    reason: 'user_disconnected',
    previousStatus: 'active',
    providerRevocation: 'confirmed',
  });

describe('EventBridgeBus', () => {
  it('puts each entry with the vault as its source and answers per entry', async () => {
    const bus = new EventBridgeBus(eventBridge, aws.eventBusArn);
    const first = entry('bus-1');
    expect(await bus.put([first, entry('bus-2')], testDeadline())).toEqual([true, true]);
    const received = await tap.of('bus-1');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      source: EVENT_SOURCE,
      'detail-type': EVENT_DETAIL_TYPES.revoked,
      time: new Date(T0).toISOString().replace('.000Z', 'Z'),
      detail: first.detail,
    });
  });
});

describe('SqsRetryQueue', () => {
  const queue = () => new SqsRetryQueue(sqs, aws.eventRetryQueueUrl);
  const inQueue = async (): Promise<number> => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: aws.eventRetryQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  };

  it('gives back what it took, marks a body that is not an event, and deletes what it is told', async () => {
    const queued = entry('retry-1');
    expect(await queue().send([queued], testDeadline())).toEqual([true]);
    await sqs.send(new SendMessageCommand({ QueueUrl: aws.eventRetryQueueUrl, MessageBody: '{"type":"Made Up"}' }));
    const messages = await queue().receive(10, testDeadline());
    expect(messages).toHaveLength(2);
    const entries = messages.map((m) => m.entry);
    expect(entries).toEqual(expect.arrayContaining([queued, undefined]));
    expect(await inQueue()).toBe(2);
    await queue().delete(
      messages.map((m) => m.receipt),
      testDeadline(),
    );
    expect(await inQueue()).toBe(0);
  });

  it('answers nothing from an empty queue, and deletes nothing for no receipts', async () => {
    expect(await queue().receive(10, testDeadline())).toEqual([]);
    await expect(queue().delete([], testDeadline())).resolves.toBeUndefined();
  });
});
