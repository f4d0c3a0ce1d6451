/**
 * Errors of the OAuth client. One class with a `code` that says what the failure means for the caller;
 * `providerError` keeps the RFC 6749 error code. Messages never carry the request or response body
 * (a provider may echo the token or code we sent).
 * @see https://www.rfc-editor.org/rfc/rfc6749
 */
import { CoreError } from '../base-error';

export const OAUTH_FAILURE_KINDS = [
  /**
   * The provider answered an RFC 6749/6750 error (see `providerError`).
   * @see https://www.rfc-editor.org/rfc/rfc6749
   * @see https://www.rfc-editor.org/rfc/rfc6750
   */
  'oauth_error',
  /** 429, or the seed's `rate_limited` error code. */
  'rate_limited',
  /** 5xx, or `server_error` / `temporarily_unavailable`. */
  'server_error',
  /** No answer within the timeout, or the caller cancelled the call. */
  'timeout',
  /** The connection failed (refused, reset, DNS). */
  'network',
  /** An answer that is not a valid token or error response (HTML page, invalid JSON, no access_token, too large). */
  'invalid_response',
  /**
   * The provider issued a token the vault can't serve: only Bearer tokens are (RFC 6750); DPoP (RFC 9449) or MAC
   * tokens need proofs from the caller. A configuration problem, not a passing one.
   * @see https://www.rfc-editor.org/rfc/rfc6750
   * @see https://www.rfc-editor.org/rfc/rfc9449
   */
  'unsupported_token_type',
  /** The application's provider has no revocation endpoint (`revocationBody: 'none'`); nothing was sent. */
  'revocation_unsupported',
] as const;

export type OAuthFailureKind = (typeof OAUTH_FAILURE_KINDS)[number];

/** Kinds that may go away on their own: worth trying again later. */
const TRANSIENT_KINDS: ReadonlySet<OAuthFailureKind> = new Set([
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  'invalid_response',
]);

export class OAuthError extends CoreError<OAuthFailureKind> {
  override readonly name = 'OAuthError';
  /**
   * RFC 6749 §5.2 `error` value, when the provider sent one; after the application's error-code map
   * (`errorCodes`), so GitHub's `bad_refresh_token` reads `invalid_grant` here.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
   */
  readonly providerError?: string;
  /** The provider's own code, only when the error-code map translated it into {@link providerError}. */
  readonly providerCode?: string;
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
    code: OAuthFailureKind,
    message: string,
    details: {
      providerError?: string;
      providerCode?: string;
      status?: number;
      retryAfterMs?: number;
      cause?: unknown;
      notSent?: boolean;
    } = {},
  ) {
    super(code, message, details);
    this.mayHaveReachedProvider = details.notSent !== true;
    if (details.providerError !== undefined) this.providerError = details.providerError;
    if (details.providerCode !== undefined) this.providerCode = details.providerCode;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }

  override logFields(): Record<string, string | number> {
    return {
      ...(this.providerError !== undefined ? { providerError: this.providerError } : {}),
      ...(this.status !== undefined ? { status: this.status } : {}),
    };
  }

  /**
   * The grant (code or refresh token) is dead; only a new authorization helps.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
   */
  get isInvalidGrant(): boolean {
    return this.code === 'oauth_error' && this.providerError === 'invalid_grant';
  }

  /** The client registration itself is rejected: an operator problem, not the user's. */
  get isClientRejected(): boolean {
    return (
      this.code === 'oauth_error' &&
      (this.providerError === 'invalid_client' || this.providerError === 'unauthorized_client')
    );
  }

  /** Worth retrying later: the provider may answer differently. */
  get isTransient(): boolean {
    return TRANSIENT_KINDS.has(this.code);
  }

  /**
   * Safe to repeat at once with the same refresh token: the provider refused without processing (429, 5xx) or
   * never saw the request. Not after a timeout: with rotation and reuse detection, presenting a token the
   * provider already rotated would revoke the whole grant.
   */
  get isSafeToRetry(): boolean {
    return (
      this.code === 'rate_limited' ||
      this.code === 'server_error' ||
      (this.code === 'network' && !this.mayHaveReachedProvider)
    );
  }
}
