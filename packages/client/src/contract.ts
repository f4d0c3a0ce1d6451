/**
 * The contract's request and answer types (docs/contract.md "Functions"), as plain types with no dependency: what a
 * caller sends to the vault's functions through the Lambda Invoke API and what they answer. The functions validate
 * requests with schemas of their own that are checked, at compile time, to accept exactly these shapes.
 *
 * Also importable alone: `import type { TokenAnswer } from '@token-vault/client/contract'`. The requests
 * (contract-requests.ts) and the lifecycle events (contract-events.ts) are re-exported here.
 */
export * from './contract-requests';
export * from './contract-events';

/** Error codes of the contract. Expected failures are answers with one of these, never thrown errors. */
export const ERROR_CODES = [
  'invalid_request',
  'not_connected',
  'reauthorization_required',
  'insufficient_scope',
  'rate_limited',
  'provider_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Whether a caller may retry the same request later with a chance of success. */
export const RETRYABLE: Readonly<Record<ErrorCode, boolean>> = {
  invalid_request: false,
  not_connected: false,
  reauthorization_required: false,
  insufficient_scope: false,
  rate_limited: true,
  provider_unavailable: true,
  internal_error: true,
};

/** Names of the vault's functions in the contract (the CDK construct deploys them under generated names). */
export const FUNCTION_NAMES = {
  connect: 'connect',
  callback: 'callback',
  tokenFetch: 'token-fetch',
  refresh: 'refresh',
  revoke: 'revoke',
  importConnection: 'import',
  status: 'status',
  complete: 'complete',
  auditForwarder: 'audit-forwarder',
} as const;

/** Each function answers within its timeout (docs/contract.md "Time"), in seconds. */
export const FUNCTION_TIMEOUT_SECONDS = {
  connect: 10,
  callback: 20,
  tokenFetch: 20,
  refresh: 60,
  revoke: 30,
  importConnection: 30,
  status: 10,
  complete: 30,
  auditForwarder: 30,
} as const;

// ------------------------------------------------------------------------------------------------- answers

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  /** Only when known (rate limits, cool-downs). */
  readonly retryAfterSeconds?: number;
}

export interface ErrorAnswer {
  readonly ok: false;
  readonly error: ErrorBody;
}

export interface ConnectAnswer {
  readonly ok: true;
  readonly authorizationUrl: string;
  /** ISO 8601: when the pending authorization request (its `state`) expires. */
  readonly expiresAt: string;
}

/** The answer of `token-fetch` and `refresh`. */
export interface TokenAnswer {
  readonly ok: true;
  readonly accessToken: string;
  /** Always `Bearer`. */
  readonly tokenType: string;
  /** ISO 8601. */
  readonly expiresAt: string;
  readonly scope: string;
}

export interface RevokeAnswer {
  readonly ok: true;
  /** Connections this call revoked (a repeated revoke answers 0). */
  readonly revoked: number;
  /** Refresh tokens the provider has not confirmed as revoked yet; the scheduled sweep retries them. */
  readonly providerPending: number;
}

/** What one scheduled sweep did: it enqueues the due work for the refresh worker, and refreshes nothing itself. */
export interface SweepAnswer {
  readonly ok: true;
  /** Due items looked at. */
  readonly examined: number;
  /** Work messages the refresh queue accepted. */
  readonly enqueued: number;
  /** Due items skipped: enqueued by an earlier sweep within the queue's visibility timeout. */
  readonly alreadyQueued: number;
  /** Messages the queue refused (sent again by the next sweep). */
  readonly failed: number;
  /** Now less the oldest due time of a connection not refreshed yet; 0 when none is late. */
  readonly backlogMs: number;
  /** Messages waiting in the queue when the sweep started (its back-pressure). */
  readonly queued: number;
}

/** One connection as `status` answers it. Times are ISO 8601; nothing here is token material. */
export interface ConnectionStatus {
  readonly applicationId: string;
  readonly status: 'active' | 'reauthorization_required' | 'revoked';
  /** The active connection's granted scope; null otherwise. */
  readonly scope: string | null;
  readonly connectedAt: string;
  /** The last refresh stored (null: none since the connection was made, or not active). */
  readonly lastRefreshedAt: string | null;
  readonly accessTokenExpiresAt: string | null;
  /** ISO when the provider stated it; `unknown` when the vault only assumes a lifetime; null without one. */
  readonly refreshTokenExpiresAt: string | null;
  /** Why the user must connect again (`invalid_grant`, `refresh_token_expired`, `no_refresh_token`); else null. */
  readonly reauthorizationReason: string | null;
  /** A refresh token of this application still waits to be revoked at the provider (the sweep retries it). */
  readonly providerRevocationPending: boolean;
  /** Since when refreshes have been failing (transient failures, cool-down), else null. */
  readonly refreshFailingSince: string | null;
}

export interface StatusAnswer {
  readonly ok: true;
  readonly connections: ConnectionStatus[];
}

export interface ImportAnswer {
  readonly ok: true;
  readonly applicationId: string;
  /** Whether an active connection was overwritten (`replace: true`). */
  readonly replaced: boolean;
  /** Whether the token was checked with one refresh at the provider. */
  readonly validated: boolean;
  readonly accessTokenExpiresAt: string;
  /** ISO when known, `unknown` when assumed, null without a refresh token. */
  readonly refreshTokenExpiresAt: string | null;
}

export interface CompleteAnswer {
  readonly ok: true;
  readonly applicationId: string;
  /** Whether the user already had an active connection for the application (it was replaced). */
  readonly reconnected: boolean;
}

/** An answer: `T` or the error answer. */
export type Answer<T> = T | ErrorAnswer;
