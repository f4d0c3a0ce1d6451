/**
 * The SNS topic alarms notify: one handed in, or one created for an e-mail address. A created topic is
 * encrypted with its own small key whose policy lets CloudWatch alarms publish (the AWS managed SNS key does not).
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Props of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** Address subscribed to the topic (it must confirm the subscription e-mail). */
  readonly email: string;
}

/**
 * An SNS topic for the vault's alarms with one e-mail subscription, encrypted with a key of its own whose policy
 * lets CloudWatch alarms publish.
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  public constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      ],
    });
    const key = new kms.Key(this, 'Key', {
      description: 'token-vault alarm topic encryption',
      enableKeyRotation: true,
      policy,
      admins: [new iam.AccountRootPrincipal()],
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'token-vault alarms',
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}
