/**
 * An EventBridge rule that invokes a function with a fixed payload, with retries and a dead-letter queue for
 * deliveries that fail. Used for the proactive refresh sweep; periodic metric sampling can use it too.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Props of {@link ScheduledInvocation}. */
export interface ScheduledInvocationProps {
  /** The function invoked. */
  readonly target: lambda.IFunction;
  /** When. */
  readonly schedule: events.Schedule;
  /** JSON payload of each invocation. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- jsii maps `any` to a JSON value in every language
  readonly payload: { [key: string]: any };
  /** Receives events EventBridge could not deliver after its retries. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Description of the EventBridge rule. */
  readonly description: string;
  /**
   * How long EventBridge keeps retrying one event; a sweep older than its period is superseded by the next one.
   * @default Duration.minutes(4)
   */
  readonly maxEventAge?: Duration;
  /**
   * Delivery retries before the event goes to the dead-letter queue.
   * @default 2
   */
  readonly retryAttempts?: number;
}

/**
 * An EventBridge rule that invokes a function with a fixed payload on a schedule, with retries and a dead-letter
 * queue for deliveries that fail (the vault's proactive refresh sweep).
 */
export class ScheduledInvocation extends Construct {
  /** The rule. */
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: ScheduledInvocationProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: props.description,
      schedule: props.schedule,
      targets: [
        new targets.LambdaFunction(props.target, {
          event: events.RuleTargetInput.fromObject(props.payload),
          deadLetterQueue: props.deadLetterQueue,
          maxEventAge: props.maxEventAge ?? Duration.minutes(4),
          retryAttempts: props.retryAttempts ?? 2,
        }),
      ],
    });
  }
}
