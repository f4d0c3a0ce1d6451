/** Error codes of the contract (docs/contract.md "Functions"). Expected failures are answers with one of these. */
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
