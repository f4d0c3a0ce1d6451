/**
 * Answer shaping, once for all functions: `{ ok: true, ... }` or `{ ok: false, error }`. Validation errors name
 * the fields, never their values; unexpected errors become `internal_error` with a fixed message (the detail
 * goes to the log, sanitized).
 */
import { ZodError } from 'zod';
import type { ErrorAnswer } from '../contract/answers';
import { VaultError, MESSAGES } from '../core/errors';
import { describeError, type VaultLogger } from '../core/observability';

export function errorAnswer(error: unknown, logger: VaultLogger): ErrorAnswer {
  if (error instanceof ZodError) {
    return { ok: false, error: { code: 'invalid_request', message: describeValidation(error), retryable: false } };
  }
  if (error instanceof VaultError) {
    if (error.code === 'internal_error') logger.error('Request failed.', describeError(error.cause ?? error));
    return {
      ok: false,
      error: {
        code: error.code,
        message: error.message,
        retryable: error.retryable,
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      },
    };
  }
  logger.error('Unexpected failure.', describeError(error));
  return { ok: false, error: { code: 'internal_error', message: MESSAGES.internal, retryable: true } };
}

/** `field: problem` for each issue; unknown keys are named only when they look like field names. */
function describeValidation(error: ZodError): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join('.') || 'payload';
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => (/^[A-Za-z0-9_]{1,40}$/.test(k) ? k : '(unprintable)')).join(', ');
      return `${path}: unknown field(s) ${keys}`;
    }
    if (issue.code === 'invalid_type') return `${path}: expected ${issue.expected}`;
    return `${path}: ${issue.message}`;
  });
  return `Invalid request. ${parts.join('; ')}.`;
}
