/**
 * Reading the lifecycle events back from the emulator: the local stack's tap rule (`source: token-vault`) delivers
 * every event put on the vault's bus to an SQS queue, read here with short polls only (a long poll would hold the
 * serialised emulator for every other test).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { RevocationReason } from '@token-vault/cdk/functions/contract/requests';
import type { RevokeResult } from '@token-vault/cdk/functions/core/vault/revocation';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { awsClientConfig } from '../../local/aws-clients';
import { closeContainer, testDeadline } from './refresh';
import type { Vault } from './vault';

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

/** Messages in a queue of the emulator, visible or in flight. */
export async function queueDepth(endpoint: string, queueUrl: string): Promise<number> {
  const sqs = new SQSClient(awsClientConfig(endpoint));
  try {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  } finally {
    sqs.destroy();
  }
}

/**
 * A revoke through a container whose event bus does not exist: the answer is the revoke's, and its event goes to
 * the vault's retry queue.
 */
export async function revokeThroughMissingBus(
  vault: Vault,
  userId: string,
  reason: RevocationReason,
): Promise<RevokeResult> {
  const broken = new Container({ ...vault.env, TOKEN_VAULT_EVENT_BUS: `${vault.resources.eventBusArn}-missing` });
  try {
    return await broken.revocation().revoke({ userId, applicationId: 'default', reason }, testDeadline());
  } finally {
    closeContainer(broken);
    broken.eventBridgeClient().destroy();
    broken.sqsClient().destroy();
  }
}
