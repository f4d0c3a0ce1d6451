/**
 * The refresh work queue between the sweep and the refresh worker: an encrypted standard queue with a dead-letter
 * queue of its own, and the worker's event source mapping (batches, partial batch failures, bounded concurrency).
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../definitions/env';
import { REFRESH_DEAD_LETTER_QUEUE, REFRESH_QUEUE } from '../definitions/queues';

/** Props of {@link RefreshQueue}. */
export interface RefreshQueueProps {
  /** The sweep: sends to the queue and reads its depth. */
  readonly sweep: lambda.Function;
  /** The refresh worker: consumes the queue. */
  readonly worker: lambda.Function;
  /** Concurrent worker invocations at most (2 to 1,000): bounds the load on the provider. */
  readonly maxConcurrency: number;
}

/** The refresh work queue, its dead-letter queue, and the worker's event source. */
export class RefreshQueue extends Construct {
  /** The work queue. */
  public readonly queue: sqs.Queue;
  /** Messages the worker failed `maxReceiveCount` times (an alarm, not a lost refresh: the index keeps the work). */
  public readonly deadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: RefreshQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(REFRESH_DEAD_LETTER_QUEUE.retentionSeconds),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(REFRESH_QUEUE.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(REFRESH_QUEUE.retentionSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: REFRESH_QUEUE.maxReceiveCount },
    });
    props.sweep.addEnvironment(ENV.REFRESH_QUEUE_URL, this.queue.queueUrl);
    // Send and read the depth (the back-pressure), nothing else: grantSendMessages would add GetQueueUrl.
    props.sweep.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
        resources: [this.queue.queueArn],
      }),
    );
    props.worker.addEventSource(
      new sources.SqsEventSource(this.queue, {
        batchSize: REFRESH_QUEUE.batchSize,
        maxBatchingWindow: Duration.seconds(REFRESH_QUEUE.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}
