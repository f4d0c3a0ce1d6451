/** Answer shapes of the Invoke API functions (docs/contract.md). Shared with the caller library (client/). */
import type { ErrorCode } from './error-codes';

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

export interface TokenAnswer {
  readonly ok: true;
  readonly accessToken: string;
  readonly tokenType: string;
  /** ISO 8601. */
  readonly expiresAt: string;
  readonly scope: string;
}

export interface RevokeAnswer {
  readonly ok: true;
  readonly revoked: number;
}

export interface SweepAnswer {
  readonly ok: true;
  readonly examined: number;
  readonly refreshed: number;
  readonly failed: number;
}

export type Answer<T> = T | ErrorAnswer;
