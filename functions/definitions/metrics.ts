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
} as const;

export type DimensionName = (typeof DIMENSIONS)[keyof typeof DIMENSIONS];

export interface MetricDefinition {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds';
  /** Dimension names this metric is always emitted with, in this order. */
  readonly dimensions: readonly DimensionName[];
  readonly description: string;
}

const { APPLICATION, RESULT, TRIGGER, ERROR_CODE, REASON } = DIMENSIONS;

export const METRICS = {
  TOKEN_FETCH: { name: 'TokenFetch', unit: 'Count', dimensions: [APPLICATION, RESULT], description: 'token-fetch answers, by result (ok or error code)' },
  TOKEN_FETCH_LATENCY: { name: 'TokenFetchLatency', unit: 'Milliseconds', dimensions: [APPLICATION], description: 'token-fetch time inside the core' },
  REFRESH: { name: 'Refresh', unit: 'Count', dimensions: [APPLICATION, TRIGGER, RESULT], description: 'refreshes at the provider, by trigger (on_demand, proactive, forced) and result' },
  REFRESH_LATENCY: { name: 'RefreshLatency', unit: 'Milliseconds', dimensions: [APPLICATION], description: 'provider refresh round trip, retries included' },
  REFRESH_FAILURE: { name: 'RefreshFailure', unit: 'Count', dimensions: [APPLICATION, ERROR_CODE], description: 'failed refreshes, by provider error code' },
  AUTHORIZATION_FAILURE: { name: 'AuthorizationFailure', unit: 'Count', dimensions: [APPLICATION, REASON], description: 'callbacks refused: bad_state, denied, exchange_failed, iss_mismatch, ...' },
  CONNECTION: { name: 'Connection', unit: 'Count', dimensions: [APPLICATION], description: 'connections established by a successful callback' },
  REVOCATION: { name: 'Revocation', unit: 'Count', dimensions: [APPLICATION, REASON], description: 'connections revoked, by reason' },
  REAUTHORIZATION_REQUIRED: { name: 'ReauthorizationRequired', unit: 'Count', dimensions: [APPLICATION], description: 'connections that moved to reauthorization_required' },
  ACTIVE_TOKENS: { name: 'ActiveTokens', unit: 'Count', dimensions: [APPLICATION], description: 'active connections per application (exact counter, sampled)' },
  WRITE_AFTER_REFRESH_FAILED: { name: 'WriteAfterRefreshFailed', unit: 'Count', dimensions: [APPLICATION], description: 'a refresh succeeded at the provider but storing its tokens failed (rotated token may be lost)' },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** Values of the Trigger dimension. */
export const REFRESH_TRIGGERS = ['on_demand', 'proactive', 'forced'] as const;
export type RefreshTrigger = (typeof REFRESH_TRIGGERS)[number];
