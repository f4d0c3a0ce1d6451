/**
 * Metric names and dimensions, defined once: the functions emit them (CloudWatch Embedded Metric Format via
 * Powertools Metrics), infra/ draws the dashboard and alarms from them, and a test checks both sides match.
 */
export const METRICS_NAMESPACE = 'TokenVault';
export const SERVICE_NAME = 'token-vault';

/** Dimension names. Values are bounded sets (application ids, result codes), never user ids. */
export const DIMENSIONS = {
  APPLICATION: 'Application',
  RESULT: 'Result',
  TRIGGER: 'Trigger',
  ERROR_CODE: 'ErrorCode',
  REASON: 'Reason',
  EVENT_TYPE: 'EventType',
} as const;

export type DimensionName = (typeof DIMENSIONS)[keyof typeof DIMENSIONS];

export interface MetricDefinition {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds';
  /** Dimension names this metric is always emitted with, in this order. */
  readonly dimensions: readonly DimensionName[];
  readonly description: string;
}

const { APPLICATION, RESULT, TRIGGER, ERROR_CODE, REASON, EVENT_TYPE } = DIMENSIONS;

export const METRICS = {
  TOKEN_FETCH: {
    name: 'TokenFetch',
    unit: 'Count',
    dimensions: [APPLICATION, RESULT],
    description: 'token-fetch answers, by result (ok or error code)',
  },
  TOKEN_FETCH_LATENCY: {
    name: 'TokenFetchLatency',
    unit: 'Milliseconds',
    dimensions: [APPLICATION],
    description: 'token-fetch time inside the core',
  },
  REFRESH: {
    name: 'Refresh',
    unit: 'Count',
    dimensions: [APPLICATION, TRIGGER, RESULT],
    description: 'refreshes at the provider, by trigger (on_demand, proactive, forced) and result',
  },
  REFRESH_LATENCY: {
    name: 'RefreshLatency',
    unit: 'Milliseconds',
    dimensions: [APPLICATION],
    description: 'provider refresh round trip, retries included',
  },
  REFRESH_FAILURE: {
    name: 'RefreshFailure',
    unit: 'Count',
    dimensions: [APPLICATION, ERROR_CODE],
    description: 'failed refreshes, by provider error code',
  },
  AUTHORIZATION_FAILURE: {
    name: 'AuthorizationFailure',
    unit: 'Count',
    dimensions: [APPLICATION, REASON],
    description: 'callbacks refused: bad_state, denied, exchange_failed, iss_mismatch, ...',
  },
  CONNECTION: {
    name: 'Connection',
    unit: 'Count',
    dimensions: [APPLICATION],
    description: 'connections established by a successful callback',
  },
  REVOCATION: {
    name: 'Revocation',
    unit: 'Count',
    dimensions: [APPLICATION, REASON],
    description: 'connections revoked, by reason',
  },
  REAUTHORIZATION_REQUIRED: {
    name: 'ReauthorizationRequired',
    unit: 'Count',
    dimensions: [APPLICATION],
    description: 'connections that moved to reauthorization_required',
  },
  ACTIVE_TOKENS: {
    name: 'ActiveTokens',
    unit: 'Count',
    dimensions: [APPLICATION],
    description: 'active connections per application (exact counter, sampled)',
  },
  PROVIDER_REVOCATION: {
    name: 'ProviderRevocation',
    unit: 'Count',
    dimensions: [APPLICATION, RESULT],
    description: 'refresh tokens sent to the provider for revocation, by result (confirmed, pending)',
  },
  OLDEST_PENDING_REVOCATION_AGE: {
    name: 'OldestPendingRevocationAge',
    unit: 'Milliseconds',
    dimensions: [APPLICATION],
    description: 'age of the oldest revocation the provider has not confirmed, 0 when none (sampled by the sweep)',
  },
  REFRESH_BACKLOG_AGE: {
    name: 'RefreshBacklogAge',
    unit: 'Milliseconds',
    dimensions: [APPLICATION],
    description:
      'how far behind the proactive refresh is: now less the oldest due time not refreshed yet, 0 when none (sampled by the sweep)',
  },
  REFRESH_ENQUEUED: {
    name: 'RefreshEnqueued',
    unit: 'Count',
    dimensions: [APPLICATION],
    description: 'due connections the sweep sent to the refresh queue',
  },
  CONNECTION_EVENT: {
    name: 'ConnectionEvent',
    unit: 'Count',
    dimensions: [APPLICATION, EVENT_TYPE, RESULT],
    description: 'lifecycle events decided, by detail-type and result (published, queued for a retry, lost)',
  },
  CONNECTION_EVENT_RETRY: {
    name: 'ConnectionEventRetry',
    unit: 'Count',
    dimensions: [APPLICATION, RESULT],
    description: 'queued events the sweep put again (published) or left queued (failed)',
  },
  WRITE_AFTER_REFRESH_FAILED: {
    name: 'WriteAfterRefreshFailed',
    unit: 'Count',
    dimensions: [APPLICATION],
    description: 'a refresh succeeded at the provider but storing its tokens failed (rotated token may be lost)',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** Values of the Trigger dimension. */
export const REFRESH_TRIGGERS = ['on_demand', 'proactive', 'forced'] as const;
export type RefreshTrigger = (typeof REFRESH_TRIGGERS)[number];

/** Values of the AuthorizationFailure metric's Reason dimension (functions/core/vault/authorization-types.ts). */
export const AUTHORIZATION_FAILURE_REASONS = [
  'invalid_request',
  'bad_state',
  'expired_state',
  'denied',
  'provider_error',
  'iss_mismatch',
  'exchange_failed',
  'browser_mismatch',
  'flow_ended',
  'revocation_pending',
  'internal',
  // Session binding (`complete`): another user presented the handle; the handle is unknown or used; it expired.
  'session_mismatch',
  'flow_unknown',
  'flow_expired',
] as const;
export type AuthorizationFailureReasonValue = (typeof AUTHORIZATION_FAILURE_REASONS)[number];

/** Application dimension value of callback failures whose state named no known application. */
export const UNKNOWN_APPLICATION = 'unknown';

/** The Result dimension value of a successful refresh or fetch. */
export const RESULT_OK = 'ok';

/**
 * Metrics AWS publishes for the vault's resources (not emitted by the functions): per function from Lambda, the
 * dead-letter queue's depth from SQS. The dashboard and alarms reference them by key.
 */
export interface AwsMetricDefinition {
  readonly namespace: 'AWS/Lambda' | 'AWS/SQS';
  readonly name: string;
  /** The one dimension that selects the resource. */
  readonly dimension: 'FunctionName' | 'QueueName';
  /** For SQS metrics: which queue (the dead letters of schedule and async failures, or the refresh queue's own). */
  readonly queue?: 'deadLetters' | 'refreshWork' | 'refreshDeadLetters' | 'eventDeadLetters';
  readonly description: string;
}

export const AWS_METRICS = {
  LAMBDA_INVOCATIONS: {
    namespace: 'AWS/Lambda',
    name: 'Invocations',
    dimension: 'FunctionName',
    description: 'invocations of the function',
  },
  LAMBDA_ERRORS: {
    namespace: 'AWS/Lambda',
    name: 'Errors',
    dimension: 'FunctionName',
    description: 'invocations that ended in a function error (expected failures are answers, not errors)',
  },
  LAMBDA_THROTTLES: {
    namespace: 'AWS/Lambda',
    name: 'Throttles',
    dimension: 'FunctionName',
    description: 'invocations refused for lack of concurrency',
  },
  LAMBDA_DURATION: {
    namespace: 'AWS/Lambda',
    name: 'Duration',
    dimension: 'FunctionName',
    description: 'function run time',
  },
  DLQ_MESSAGES_VISIBLE: {
    namespace: 'AWS/SQS',
    name: 'ApproximateNumberOfMessagesVisible',
    dimension: 'QueueName',
    queue: 'deadLetters',
    description: 'dead letters waiting in the queue',
  },
  REFRESH_QUEUE_OLDEST_AGE: {
    namespace: 'AWS/SQS',
    name: 'ApproximateAgeOfOldestMessage',
    dimension: 'QueueName',
    queue: 'refreshWork',
    description: 'age of the oldest message in the refresh queue (seconds)',
  },
  REFRESH_DLQ_MESSAGES_VISIBLE: {
    namespace: 'AWS/SQS',
    name: 'ApproximateNumberOfMessagesVisible',
    dimension: 'QueueName',
    queue: 'refreshDeadLetters',
    description: 'refresh work the worker failed 5 times',
  },
  EVENT_DLQ_MESSAGES_VISIBLE: {
    namespace: 'AWS/SQS',
    name: 'ApproximateNumberOfMessagesVisible',
    dimension: 'QueueName',
    queue: 'eventDeadLetters',
    description: 'lifecycle events the sweep could not put on the bus after 5 attempts',
  },
} as const satisfies Record<string, AwsMetricDefinition>;

export type AwsMetricKey = keyof typeof AWS_METRICS;
