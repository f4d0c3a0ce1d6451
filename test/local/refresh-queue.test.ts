/**
 * The proactive refresh through the local stack: the sweep enqueues the due connections in moto's SQS, the
 * refresh worker (driven by the stack's event source) refreshes them. A backlog drains, a message that is not a
 * work message ends in the dead-letter queue, a worker that crashes after refreshing leaves a message that comes
 * back and costs no second refresh, and the on-demand `refresh` refuses the sweep.
 */
import { randomBytes } from 'node:crypto';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { REFRESH_QUEUE } from '@token-vault/cdk/src/definitions/queues';
import { awsClientConfig, EMULATOR_CREDENTIALS } from '../../local/aws-clients';
import { completeAuthorization } from '../../local/authorize';
import { startLocalStack, type LocalStack } from '../../local/server';
import { emulatorEndpoint } from '../support/aws';
import { registerSensitive } from '../support/leak-guard';
import { ageAccessToken } from '../support/refresh';
import type { AnyVault } from '../support/vault';

/** Visibility timeout of the local queue: a failed message comes back in seconds, not 3 minutes. */
const VISIBILITY_SECONDS = 2;

let stack: LocalStack;
let lambda: LambdaClient;
let sqs: SQSClient;
let ddb: DynamoDBClient;
let tables: AnyVault;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    quiet: true,
    prefix: `rq${randomBytes(4).toString('hex')}`,
    // Every connection ahead of expiry: the connections here are never fetched before the sweep.
    env: { AWS_ENDPOINT_URL: emulatorEndpoint(), AWS_REGION: 'us-east-1', [ENV.PROACTIVE_REFRESH]: 'all' },
    // The test drives the event source itself.
    refreshWork: { worker: false, queueVisibilitySeconds: VISIBILITY_SECONDS },
  });
  lambda = new LambdaClient({ region: 'us-east-1', endpoint: stack.baseUrl, credentials: EMULATOR_CREDENTIALS });
  sqs = new SQSClient(awsClientConfig(stack.endpoint));
  ddb = new DynamoDBClient(awsClientConfig(stack.endpoint));
  // ageAccessToken needs the table and a document client only.
  tables = {
    resources: { doc: DynamoDBDocumentClient.from(ddb), connectionsTable: stack.resources.connectionsTable },
  } as unknown as AnyVault;
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  sqs?.destroy();
  ddb?.destroy();
  await stack?.stop();
});

async function invoke(name: string, payload: unknown): Promise<Record<string, unknown>> {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) }),
  );
  const answer = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as Record<string, unknown>;
  if (typeof answer.accessToken === 'string') registerSensitive(answer.accessToken);
  return answer;
}

/** connect, the provider's login, the callback and, since the local stack binds flows to their user, complete. */
async function connect(userId: string): Promise<void> {
  const started = await invoke('connect', { userId, returnTo: `${stack.baseUrl}/connected` });
  expect(started.ok).toBe(true);
  const callbackUrl = await completeAuthorization(String(started.authorizationUrl), {});
  registerSensitive(
    callbackUrl.searchParams.get('code') ?? undefined,
    callbackUrl.searchParams.get('state') ?? undefined,
  );
  const res = await fetch(callbackUrl, { redirect: 'manual' });
  await res.arrayBuffer();
  const location = new URL(res.headers.get('location') ?? '', stack.baseUrl);
  const flowHandle = location.searchParams.get('flow') ?? '';
  registerSensitive(flowHandle);
  expect(await invoke('complete', { flowHandle, userId })).toMatchObject({ ok: true });
}

async function waiting(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const provider = (): NonNullable<LocalStack['devProvider']> => stack.devProvider!;

it('refresh answers { "sweep": true } with invalid_request; the sweep and the worker are not for callers', async () => {
  expect(await invoke(FUNCTIONS.refresh.name, { sweep: true })).toMatchObject({
    ok: false,
    error: { code: 'invalid_request', retryable: false },
  });
  for (const name of [FUNCTIONS.sweep.name, FUNCTIONS.refreshWorker.name]) {
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"sweep":true}') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  }
});

it('a backlog drains: the sweep enqueues every due connection once, the worker refreshes each once, and the backlog is 0 after', async () => {
  const users = Array.from({ length: 13 }, (_, i) => `backlog-${i}`);
  for (const userId of users) await connect(userId);
  for (const userId of users) await ageAccessToken(tables, userId, 60_000);
  await provider().resetStats();

  const first = (await stack.refreshWork.sweep()) as Record<string, number>;
  expect(first).toMatchObject({ ok: true, examined: 13, enqueued: 13, failed: 0, queued: 0 });
  expect(first.backlogMs).toBeGreaterThan(4 * 60 * 1000);
  // Enqueued, not refreshed: the sweep makes no provider call.
  expect((await provider().stats()).tokenRequests).toBe(0);
  // A second sweep within the visibility timeout enqueues nothing again (the container's memo).
  expect(await stack.refreshWork.sweep()).toMatchObject({ examined: 13, enqueued: 0, alreadyQueued: 13 });

  // Batches of 10, as the event source delivers them.
  expect(await stack.refreshWork.workOnce()).toEqual({ received: REFRESH_QUEUE.batchSize, failed: 0 });
  expect(await stack.refreshWork.drain()).toEqual({ received: 3, failed: 0 });
  expect(await waiting(stack.resources.refreshQueueUrl)).toBe(0);
  expect(await provider().stats()).toMatchObject({ refreshGrants: 13, reuseDetected: 0 });

  await sleep(VISIBILITY_SECONDS * 1000);
  expect(await stack.refreshWork.sweep()).toMatchObject({ ok: true, examined: 0, enqueued: 0, backlogMs: 0 });
}, 120_000);

it('a message that is not a work message goes to the dead-letter queue after maxReceiveCount receives, and refreshes nothing', async () => {
  await provider().resetStats();
  await sqs.send(
    new SendMessageCommand({ QueueUrl: stack.resources.refreshQueueUrl, MessageBody: '{"v":1,"k":"r","u":"poison"}' }),
  );
  let received = 0;
  for (let i = 0; i < 10 && (await waiting(stack.resources.refreshQueueUrl)) > 0; i++) {
    const batch = await stack.refreshWork.workOnce();
    expect(batch.failed).toBe(batch.received);
    received += batch.received;
    await sleep(VISIBILITY_SECONDS * 1000 + 200);
  }
  expect(received).toBe(REFRESH_QUEUE.maxReceiveCount);
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: stack.resources.refreshDeadLetterQueueUrl, MaxNumberOfMessages: 10 }),
  );
  expect(Messages.map((m) => m.Body)).toEqual(['{"v":1,"k":"r","u":"poison"}']);
  expect((await provider().stats()).tokenRequests).toBe(0);
}, 60_000);

it('a worker that crashes after refreshing leaves its message; it comes back after the visibility timeout and costs no second refresh', async () => {
  await connect('crash-1');
  await ageAccessToken(tables, 'crash-1', 60_000);
  await provider().resetStats();
  expect(await stack.refreshWork.sweep()).toMatchObject({ enqueued: 1 });

  // Did the work, then died before answering: the event source deletes nothing.
  const crashing = stack.refreshWork.withWorker((worker) => async (event) => {
    await worker(event);
    throw new Error('worker crashed');
  });
  expect(await crashing.workOnce()).toEqual({ received: 1, failed: 1 });
  expect((await provider().stats()).refreshGrants).toBe(1);

  // Invisible until the visibility timeout, then delivered again: not due any more, acknowledged.
  expect(await stack.refreshWork.workOnce()).toEqual({ received: 0, failed: 0 });
  await sleep(VISIBILITY_SECONDS * 1000 + 200);
  expect(await stack.refreshWork.workOnce()).toEqual({ received: 1, failed: 0 });
  expect(await provider().stats()).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
  expect(await waiting(stack.resources.refreshQueueUrl)).toBe(0);
  // The connection serves its new token without a refresh.
  expect(await invoke(FUNCTIONS.tokenFetch.name, { userId: 'crash-1' })).toMatchObject({ ok: true });
  expect((await provider().stats()).refreshGrants).toBe(1);
}, 60_000);
