/**
 * Where the connection lifecycle events go: the event bus (created, or the one given), the retry queue that holds
 * events whose put failed until the sweep puts them again, and its dead-letter queue. Publishing functions get
 * `events:PutEvents` on exactly that bus and `sqs:SendMessage` on the retry queue; only the sweep may receive.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../definitions/env';
import { EVENT_RETRY_RECEIVES, EVENT_RETRY_VISIBILITY_SECONDS, eventBusName } from '../definitions/events';
import type { VaultFunction } from './vault-function';

/** Properties of {@link ConnectionEvents}. */
export interface ConnectionEventsProps {
  /** The vault's name (the bus is named after it; every event's `detail.vault`). */
  readonly vaultName: string;
  /**
   * Bus to put the events on instead of a new one (a bus of another account needs a resource policy there that
   * lets the publishing roles put events).
   * @default - a new bus named `<vault name>-connection-events`
   */
  readonly eventBus?: events.IEventBus;
}

/** The event bus, retry queue and dead-letter queue of the lifecycle events. */
export class ConnectionEvents extends Construct {
  /** The bus the events go to (source `token-vault`). */
  public readonly eventBus: events.IEventBus;
  /** Events whose put failed, until the sweep puts them again. */
  public readonly retryQueue: sqs.Queue;
  /** Events the sweep could not put after {@link EVENT_RETRY_RECEIVES} attempts. */
  public readonly deadLetterQueue: sqs.Queue;
  private readonly vaultName: string;

  public constructor(scope: Construct, id: string, props: ConnectionEventsProps) {
    super(scope, id);
    this.vaultName = props.vaultName;
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'Bus', { eventBusName: eventBusName(props.vaultName) });
    // The queues hold event details (user and application ids, reasons), never token material: SQS-managed
    // encryption is enough, and needs no key policy.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.retryQueue = new sqs.Queue(this, 'RetryQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(EVENT_RETRY_VISIBILITY_SECONDS),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: EVENT_RETRY_RECEIVES },
    });
  }

  /** Lets the function publish: the bus and retry queue variables, PutEvents on the bus, SendMessage on the queue. */
  public bindPublisher(fn: VaultFunction): void {
    fn.function.addEnvironment(ENV.EVENT_BUS, this.eventBus.eventBusArn);
    fn.function.addEnvironment(ENV.EVENT_RETRY_QUEUE, this.retryQueue.queueUrl);
    fn.function.addEnvironment(ENV.VAULT_NAME, this.vaultName);
    this.eventBus.grantPutEventsTo(fn.role);
    // Only what the code sends (SendMessageBatch): grantSendMessages would add GetQueueAttributes and GetQueueUrl.
    this.retryQueue.grant(fn.role, 'sqs:SendMessage');
  }

  /**
   * Lets the function (the sweep) drain the retry queue: ReceiveMessage and DeleteMessageBatch, nothing else
   * (grantConsumeMessages would add ChangeMessageVisibility, GetQueueAttributes and GetQueueUrl).
   */
  public bindDrainer(fn: VaultFunction): void {
    this.retryQueue.grant(fn.role, 'sqs:ReceiveMessage', 'sqs:DeleteMessage');
  }
}
