/**
 * Typed errors of the caller library, one class per contract error code (docs/contract.md "Functions"), plus
 * {@link InsufficientScopeError} for a provider API's 403. Messages never contain a token.
 */
import { RETRYABLE, type ErrorBody, type ErrorCode } from './contract';

/** Base class of every error the library throws on purpose. */
export class TokenVaultError extends Error {
  override readonly name: string = 'TokenVaultError';
  /** The contract error code. */
  readonly code: ErrorCode;
  /** Whether the same call may succeed when tried again later. */
  readonly retryable: boolean;
  /** Seconds to wait before trying again, when known. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** `invalid_request`: the vault refused the input (nothing was read or written). Fix the call; do not retry. */
export class InvalidRequestError extends TokenVaultError {
  override readonly name = 'InvalidRequestError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('invalid_request', message, options);
  }
}

/** `not_connected`: the user never connected this application, or disconnected it. Offer "connect". */
export class NotConnectedError extends TokenVaultError {
  override readonly name = 'NotConnectedError';
  constructor(message: string) {
    super('not_connected', message);
  }
}

/**
 * `reauthorization_required`: the refresh token expired, was revoked or was rejected. The user has to go through
 * `connect` again: show a "reconnect" prompt.
 */
export class ReauthorizationRequiredError extends TokenVaultError {
  override readonly name = 'ReauthorizationRequiredError';
  constructor(message: string) {
    super('reauthorization_required', message);
  }
}

/**
 * `insufficient_scope`: the provider's API answered 403 `insufficient_scope` (or the vault did). The token is fine
 * but lacks a scope; refreshing does not help, re-consent with more scopes does.
 */
export class InsufficientScopeError extends TokenVaultError {
  override readonly name = 'InsufficientScopeError';
  /** The scope(s) the API said it needs (from its `WWW-Authenticate` challenge), when it said. */
  readonly requiredScope: string | undefined;
  constructor(message: string, requiredScope?: string) {
    super('insufficient_scope', message);
    this.requiredScope = requiredScope;
  }
}

/** `rate_limited` (retryable): the vault, the provider or its API is throttling; `retryAfterSeconds` when known. */
export class RateLimitedError extends TokenVaultError {
  override readonly name = 'RateLimitedError';
  constructor(message: string, retryAfterSeconds?: number) {
    super('rate_limited', message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
}

/** `provider_unavailable` (retryable): the provider's token endpoint failed or timed out. */
export class ProviderUnavailableError extends TokenVaultError {
  override readonly name = 'ProviderUnavailableError';
  constructor(message: string, retryAfterSeconds?: number) {
    super('provider_unavailable', message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
}

/**
 * `internal_error` (retryable): the vault answered `internal_error`, the invocation failed (a Lambda
 * `FunctionError`, a throttled or refused Invoke call), or the answer could not be read. `cause` holds the SDK
 * error when there is one. Not retryable when the call may have run and must not be repeated: a `complete` whose
 * answer was lost, or that the vault answered `internal_error` (the handle may be spent): check `status` instead.
 */
export class VaultInternalError extends TokenVaultError {
  override readonly name = 'VaultInternalError';
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number; retryable?: boolean } = {}) {
    super('internal_error', message, options);
  }
}

/** The typed error for an error answer of the vault. */
export function errorFromAnswer(error: ErrorBody): TokenVaultError {
  const message = typeof error.message === 'string' ? error.message : error.code;
  switch (error.code) {
    case 'invalid_request':
      return new InvalidRequestError(message);
    case 'not_connected':
      return new NotConnectedError(message);
    case 'reauthorization_required':
      return new ReauthorizationRequiredError(message);
    case 'insufficient_scope':
      return new InsufficientScopeError(message);
    case 'rate_limited':
      return new RateLimitedError(message, error.retryAfterSeconds);
    case 'provider_unavailable':
      return new ProviderUnavailableError(message, error.retryAfterSeconds);
    case 'internal_error':
      return new VaultInternalError(
        message,
        error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds },
      );
    default:
      // A code this library does not know yet (a newer vault): keep its retryability, report it as internal.
      return new VaultInternalError(
        `unexpected error code from the vault: ${String((error as { code: unknown }).code)}`,
      );
  }
}
