/**
 * The vault's error: carries a contract error code, so handlers map failures to answers by code and nothing
 * else. Messages are safe to show callers: never a token, code, secret or internal detail.
 */
import { RETRYABLE, type ErrorCode } from '../contract/error-codes';
import { CoreError } from './base-error';

export class VaultError extends CoreError<ErrorCode> {
  override readonly name = 'VaultError';
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(code, message, options);
    this.retryable = RETRYABLE[code];
    if (options.retryAfterSeconds !== undefined)
      this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds));
  }

  readonly retryAfterSeconds?: number;
}

/** Fixed caller-facing messages, one per situation, so no detail leaks by accident. */
export const MESSAGES = {
  notConnected: 'The user has no connection for this application; start one with connect.',
  reauthorizationRequired: 'The connection can no longer be refreshed; the user must authorize again (connect).',
  rateLimited: 'The provider is rate limiting token requests; retry later.',
  providerUnavailable: 'The provider could not be reached or answered with an error; retry later.',
  internal: 'The vault could not complete the request; retry later.',
  unknownApplication: 'applicationId: unknown application.',
} as const;
