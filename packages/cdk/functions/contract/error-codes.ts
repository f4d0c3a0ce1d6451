/**
 * Error codes of the contract (docs/contract.md "Functions"): defined once, in the caller library's contract module
 * (`@token-vault/client/contract`), which has no dependency and is bundled into the functions.
 */
export { ERROR_CODES, RETRYABLE, type ErrorCode } from '@token-vault/client/contract';
