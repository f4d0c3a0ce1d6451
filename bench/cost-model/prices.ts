/**
 * AWS list prices used by every cost figure of the bench (bench/cost.ts, bench/capacity.ts): us-east-1 (N.
 * Virginia), on-demand, no free tier, checked 2026-11. Each line names its price page.
 */
export const PRICE = {
  /** https://aws.amazon.com/lambda/pricing/ : arm64, per GB-second (first tier). */
  lambdaGbSecond: 0.0000133334,
  /** https://aws.amazon.com/lambda/pricing/ : per request. */
  lambdaRequest: 0.2 / 1e6,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ : per read request unit (since the November 2024 cut). */
  dynamoRru: 0.125 / 1e6,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ : per write request unit. */
  dynamoWru: 0.625 / 1e6,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ : standard table class storage, per GB-month. */
  dynamoStorageGbMonth: 0.25,
  /** https://aws.amazon.com/kms/pricing/ : symmetric cryptographic requests. */
  kmsRequest: 0.03 / 1e4,
  /** https://aws.amazon.com/kms/pricing/ : customer managed key. */
  kmsKeyMonth: 1,
  /** https://aws.amazon.com/secrets-manager/pricing/ */
  secretMonth: 0.4,
  secretsRequest: 0.05 / 1e4,
  /** https://aws.amazon.com/cloudwatch/pricing/ : custom metrics (EMF), first 10,000. */
  metricMonth: 0.3,
  /** https://aws.amazon.com/api-gateway/pricing/ : HTTP API, first 300 million. */
  httpApiRequest: 1 / 1e6,
  /** https://aws.amazon.com/sqs/pricing/ : standard queue, per request (64 KB chunk), after the free million. */
  sqsRequest: 0.4 / 1e6,
  /**
   * https://aws.amazon.com/eventbridge/pricing/ : EventBridge Scheduler, per invocation, and custom events put on a
   * bus, per event. The sweep runs on a scheduled rule; it is priced here as a Scheduler invocation (an upper bound).
   */
  eventBridgeInvocation: 1 / 1e6,
  eventBridgeEvent: 1 / 1e6,
} as const;

/** Lambda's CPU share grows with memory: one vCPU at 1,769 MB. */
export const LAMBDA_MB_PER_VCPU = 1769;
