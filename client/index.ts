/**
 * token-vault caller library: get a user's access token from the vault and call the provider's API with it.
 * See client/README.md.
 */
export { TokenVaultClient, CLIENT_ENV, DEFAULT_API_BASE_URL } from './vault-client';
export type { TokenVaultClientOptions, GetAccessTokenOptions, RefreshAccessTokenOptions } from './vault-client';
export type { ApiRequestInit, BearerChallenge } from './api-request';
export { parseBearerChallenge, parseRetryAfter, backoffDelayMs, isRetryable } from './api-request';
export {
  TokenVaultError,
  InvalidRequestError,
  NotConnectedError,
  ReauthorizationRequiredError,
  InsufficientScopeError,
  RateLimitedError,
  ProviderUnavailableError,
  VaultInternalError,
  errorFromAnswer,
} from './errors';
export { TokenCache, type TokenCacheOptions } from './token-cache';
/** The contract's request and answer types, shared with the functions so they cannot drift. */
export type {
  Answer,
  ConnectAnswer,
  ConnectRequest,
  ErrorAnswer,
  ErrorBody,
  ErrorCode,
  RefreshRequest,
  RevokeAnswer,
  RevokeRequest,
  RevocationReason,
  TokenAnswer,
  TokenFetchRequest,
} from '../functions/contract';
export { ERROR_CODES, RETRYABLE } from '../functions/contract/error-codes';
