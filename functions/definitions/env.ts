/**
 * Environment variable names the functions read. The CDK construct sets exactly these (infra/ imports this
 * file), and the local stack sets the same ones, so the two can never drift.
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
  /** Refresh this many seconds before expiry (never sooner than half the token's lifetime). */
  REFRESH_MARGIN_SECONDS: 'TOKEN_VAULT_REFRESH_MARGIN_SECONDS',
  /** Lifetime assumed for access tokens answered without `expires_in`. */
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS: 'TOKEN_VAULT_DEFAULT_ACCESS_TOKEN_TTL_SECONDS',
  /** Lifetime assumed for refresh tokens answered without `refresh_token_expires_in`. */
  DEFAULT_REFRESH_TOKEN_TTL_SECONDS: 'TOKEN_VAULT_DEFAULT_REFRESH_TOKEN_TTL_SECONDS',
  /** Timeout of one HTTP call to the provider, in milliseconds. Kept below the function timeout. */
  PROVIDER_TIMEOUT_MS: 'TOKEN_VAULT_PROVIDER_TIMEOUT_MS',
  /** Timeout of one AWS SDK request (DynamoDB, KMS, Secrets Manager), in milliseconds; the SDK retries twice. */
  AWS_REQUEST_TIMEOUT_MS: 'TOKEN_VAULT_AWS_REQUEST_TIMEOUT_MS',
  /** Seconds a connection cools down after a failed refresh (one provider call per window). */
  REFRESH_COOLDOWN_SECONDS: 'TOKEN_VAULT_REFRESH_COOLDOWN_SECONDS',
  /** How far ahead (seconds) the scheduled sweep looks for connections due for refresh. */
  SWEEP_LOOKAHEAD_SECONDS: 'TOKEN_VAULT_SWEEP_LOOKAHEAD_SECONDS',
  /**
   * Seconds a refresh lease lasts: how long a crashed holder can block refreshes of its connection. Must exceed
   * one provider call plus the write (at least PROVIDER_TIMEOUT_MS + 2 s); the provider time budget, retries
   * included, is shortened to fit inside it.
   */
  REFRESH_LEASE_SECONDS: 'TOKEN_VAULT_REFRESH_LEASE_SECONDS',
  /** Seconds a caller waits for another container's refresh before answering `provider_unavailable`. */
  REFRESH_WAIT_SECONDS: 'TOKEN_VAULT_REFRESH_WAIT_SECONDS',
  /** Powertools: metric namespace and service name (set from {@link METRICS_NAMESPACE}). */
  POWERTOOLS_METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
  POWERTOOLS_SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Defaults for the tunables above; the seed guide's lifetimes (1 hour access, 30 days refresh). */
export const DEFAULTS = {
  REFRESH_MARGIN_SECONDS: 5 * 60,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS: 60 * 60,
  DEFAULT_REFRESH_TOKEN_TTL_SECONDS: 30 * 24 * 60 * 60,
  PROVIDER_TIMEOUT_MS: 5_000,
  AWS_REQUEST_TIMEOUT_MS: 3_000,
  REFRESH_COOLDOWN_SECONDS: 30,
  SWEEP_LOOKAHEAD_SECONDS: 10 * 60,
  REFRESH_LEASE_SECONDS: 25,
  REFRESH_WAIT_SECONDS: 12,
  /** Pending authorization requests expire after 10 minutes (CONTRACT.md). */
  STATE_TTL_SECONDS: 10 * 60,
} as const;
