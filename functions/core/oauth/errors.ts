/**
 * Errors of the OAuth client. One class with a `kind` that says what the failure means for the caller;
 * `providerError` keeps the RFC 6749 error code. Messages never carry the request or response body
 * (a provider may echo the token or code we sent).
 */

export const OAUTH_FAILURE_KINDS = [
  /** The provider answered an RFC 6749/6750 error (see `providerError`). */
  'oauth_error',
  /** 429, or the seed's `rate_limited` error code. */
  'rate_limited',
  /** 5xx, or `server_error` / `temporarily_unavailable`. */
  'server_error',
  /** No answer within the timeout. */
  'timeout',
  /** The connection failed (refused, reset, DNS). */
  'network',
  /** An answer that is not a valid token or error response (HTML page, invalid JSON, missing fields). */
  'invalid_response',
] as const;

export type OAuthFailureKind = (typeof OAUTH_FAILURE_KINDS)[number];

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  /** RFC 6749 §5.2 `error` value, when the provider sent one. */
  readonly providerError?: string;
  /** HTTP status, when there was an answer. */
  readonly status?: number;
  /** From `Retry-After` (seconds or HTTP date), in milliseconds. */
  readonly retryAfterMs?: number;
  /**
   * False only when the request surely never reached the provider (connection refused, DNS). After a timeout
   * or a reset the provider may have processed it: a refresh token may already be rotated.
   */
  readonly mayHaveReachedProvider: boolean;

  constructor(
    readonly kind: OAuthFailureKind,
    message: string,
    details: { providerError?: string; status?: number; retryAfterMs?: number; cause?: unknown; notSent?: boolean } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.mayHaveReachedProvider = details.notSent !== true;
    if (details.providerError !== undefined) this.providerError = details.providerError;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }

  /** RFC 6749 §5.2: the grant (code or refresh token) is dead; only a new authorization helps. */
  get isInvalidGrant(): boolean {
    return this.kind === 'oauth_error' && this.providerError === 'invalid_grant';
  }

  /** The client registration itself is rejected: an operator problem, not the user's. */
  get isClientRejected(): boolean {
    return this.kind === 'oauth_error' && (this.providerError === 'invalid_client' || this.providerError === 'unauthorized_client');
  }

  /** Worth retrying later: the provider may answer differently. */
  get isTransient(): boolean {
    return this.kind !== 'oauth_error';
  }

  /**
   * Safe to repeat at once with the same refresh token: the provider refused without processing (429, 5xx) or
   * never saw the request. Not after a timeout: with rotation and reuse detection, presenting a token the
   * provider already rotated would revoke the whole grant.
   */
  get isSafeToRetry(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server_error' || (this.kind === 'network' && !this.mayHaveReachedProvider);
  }
}
