/**
 * The refresh work queue on SQS against moto (packages/cdk/functions/runtime/sqs-work-queue.ts): a batch of work
 * messages arrives in the wire form the worker decodes, and the depth is the queue's count.
 */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { decodeWorkMessage, type WorkMessage } from '@token-vault/cdk/functions/core/refresh/work-queue';
import { SqsWorkQueue } from '@token-vault/cdk/functions/runtime/sqs-work-queue';
import { awsClientConfig } from '../../../local/aws-clients';
import { freshResources, type FreshResources } from '../../support/aws';
import { testDeadline } from '../../support/refresh';

let aws: FreshResources;
let sqs: SQSClient;
let queue: SqsWorkQueue;
beforeAll(async () => {
  aws = await freshResources();
  sqs = new SQSClient(awsClientConfig(aws.endpoint));
  queue = new SqsWorkQueue(sqs, aws.refreshQueueUrl, 5_000);
}, 60_000);
afterAll(() => {
  sqs?.destroy();
  aws?.close();
});

const messages: WorkMessage[] = [
  { kind: 'refresh', userId: 'u1', applicationId: 'app', dueAt: 1 },
  { kind: 'revocation', userId: 'u2', itemKey: '#pending-revocation#app#1', dueAt: 2 },
];

// One fresh queue for the file: the tests run in order, the empty batch first.
describe('SqsWorkQueue', () => {
  it('sends nothing for an empty batch', async () => {
    expect(await queue.sendBatch([], testDeadline())).toEqual([]);
    expect(await queue.depth(testDeadline())).toBe(0);
  });

  it('sends a batch the worker can decode, and counts it in the depth', async () => {
    expect(await queue.sendBatch(messages, testDeadline())).toEqual([]);
    expect(await queue.depth(testDeadline())).toBe(2);
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: aws.refreshQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const decoded = (received.Messages ?? []).map((m) => decodeWorkMessage(m.Body ?? ''));
    expect(decoded).toEqual(expect.arrayContaining(messages));
    expect(decoded).toHaveLength(2);
  });
});
