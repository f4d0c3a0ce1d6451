/**
 * token-vault caller library: get a user's access token from the vault and call the provider's API with it.
 * See README.md.
 */
export { TokenVaultClient } from './vault-client';
export { CLIENT_ENV, DEFAULT_API_BASE_URL } from './client-options';
export type { TokenVaultClientOptions, GetAccessTokenOptions, RefreshAccessTokenOptions } from './client-options';
export type { ApiRequestInit, BearerChallenge } from './api-request';
export { parseBearerChallenge, parseRetryAfter, backoffDelayMs, isRetryable } from './api-request';
export { retryAfterMs } from './retry-after';
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
export { applicationAlias } from './application-alias';
/** The contract's request and answer types (docs/contract.md), the same the functions validate against. */
export type {
  Answer,
  CompleteAnswer,
  CompleteRequest,
  ConnectAnswer,
  ConnectRequest,
  ErrorAnswer,
  ErrorBody,
  ErrorCode,
  RefreshRequest,
  RevokeAnswer,
  RevokeRequest,
  RevocationReason,
  SweepAnswer,
  SweepRequest,
  TokenAnswer,
  TokenFetchRequest,
  StatusRequest,
  StatusAnswer,
  ConnectionStatus,
  ImportRequest,
  ImportAnswer,
  EventDetailType,
  EventDetailBase,
  ConnectedDetail,
  RefreshFailedDetail,
  ReauthorizationRequiredDetail,
  RecoveredDetail,
  RevokedDetail,
  ProviderRevocationConfirmedDetail,
} from './contract';
export {
  DEFAULT_MIN_VALIDITY_SECONDS,
  ERROR_CODES,
  FUNCTION_NAMES,
  FUNCTION_TIMEOUT_SECONDS,
  RETRYABLE,
  REVOCATION_REASONS,
  EVENT_SOURCE,
  EVENT_SCHEMA_VERSION,
  EVENT_DETAIL_TYPES,
} from './contract';
