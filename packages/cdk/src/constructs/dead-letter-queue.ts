/** The SQS queue that receives invocations that failed for good (schedule deliveries and async failures). */
import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * The encrypted SQS queue (14 days) that receives what failed for good: schedule deliveries EventBridge gave up on,
 * and asynchronous refresh invocations that failed.
 */
export class DeadLetterQueue extends Construct {
  /** The queue. */
  public readonly queue: sqs.Queue;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      // SQS managed encryption: EventBridge and Lambda destinations can write to it without a key policy.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter queue of the schedule targets and of the refresh function's asynchronous invocations.",
    });
  }
}
