/**
 * Environment variable names the functions read. The CDK construct sets exactly these (infra/ imports this
 * file), and the local stack sets the same ones, so the two can never drift. The tunables' variables are in
 * tunables.ts, with their defaults and bounds.
 */
export const ENV = {
  /** Name of the connections table (tokens, counters, revocation records). */
  CONNECTIONS_TABLE: 'TOKEN_VAULT_CONNECTIONS_TABLE',
  /** Name of the OAuth state table (pending authorization requests). */
  STATES_TABLE: 'TOKEN_VAULT_STATES_TABLE',
  /** ARN, id or alias of the KMS key that wraps the per-connection data keys. */
  KEY_ID: 'TOKEN_VAULT_KEY_ID',
  /** JSON array of {@link ApplicationConfig} (no secrets: only the client secret's ARN or name). */
  APPLICATIONS: 'TOKEN_VAULT_APPLICATIONS',
  /** The proactive refresh policy: `used` (default), `all` or `none` (functions/core/refresh/policy.ts). */
  PROACTIVE_REFRESH: 'TOKEN_VAULT_PROACTIVE_REFRESH',
  /** URL of the refresh work queue (the sweep sends to it; the worker is fed by its event source mapping). */
  REFRESH_QUEUE_URL: 'TOKEN_VAULT_REFRESH_QUEUE_URL',
  /** ARN of the event bus the connection lifecycle events go to. Unset: the function publishes no events. */
  EVENT_BUS: 'TOKEN_VAULT_EVENT_BUS',
  /** URL of the SQS queue that holds events whose put failed, until the sweep puts them again. */
  EVENT_RETRY_QUEUE: 'TOKEN_VAULT_EVENT_RETRY_QUEUE',
  /** The vault's name, in every event's detail (several vaults may share one bus). */
  VAULT_NAME: 'TOKEN_VAULT_NAME',
  /** The audit log group the audit forwarder writes into (README "Audit trail"). */
  AUDIT_LOG_GROUP: 'TOKEN_VAULT_AUDIT_LOG_GROUP',
  /** Powertools: metric namespace and service name (set from {@link METRICS_NAMESPACE}). */
  POWERTOOLS_METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
  POWERTOOLS_SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Pending authorization requests expire after 10 minutes (docs/contract.md). */
export const STATE_TTL_SECONDS = 10 * 60;

/**
 * A session-bound flow's handle (README "Session binding") is single use and expires after 5 minutes: the
 * application's returnTo page calls `complete` right away. The parked refresh token's revocation falls due a
 * minute later (the sweep revokes an abandoned flow's grant).
 */
export const FLOW_HANDLE_TTL_SECONDS = 5 * 60;
