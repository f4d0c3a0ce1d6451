/**
 * Answer shaping, once for all functions: `{ ok: true, ... }` or `{ ok: false, error }`. Validation errors name
 * the fields, never their values; unexpected errors become `internal_error` with a fixed message (the detail
 * goes to the log, sanitized).
 */
import { $ZodError } from 'zod/v4/core';
import type { ErrorAnswer } from '../contract/answers';
import { VaultError, MESSAGES } from '../core/errors';
import { describeError, type VaultLogger } from '../core/observability';

export function errorAnswer(error: unknown, logger: VaultLogger): ErrorAnswer {
  if (error instanceof $ZodError) {
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

/**
 * `field: problem` for each issue. zod/mini carries no locale (its messages are "Invalid input"), so the problem
 * is worded here from the issue's code; custom messages of our schemas are kept. Values are never quoted.
 */
function describeValidation(error: $ZodError): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join('.') || 'payload';
    switch (issue.code) {
      case 'unrecognized_keys': {
        const keys = issue.keys.map((k) => (/^[A-Za-z0-9_]{1,40}$/.test(k) ? k : '(unprintable)')).join(', ');
        return `${path}: unknown field(s) ${keys}`;
      }
      case 'invalid_type':
        return `${path}: expected ${issue.expected}`;
      case 'invalid_value':
        return `${path}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      case 'too_small':
        return `${path}: must be at least ${String(issue.minimum)}${issue.origin === 'number' || issue.origin === 'int' ? '' : ' long'}`;
      case 'too_big':
        return `${path}: must be at most ${String(issue.maximum)}${issue.origin === 'number' || issue.origin === 'int' ? '' : ' long'}`;
      case 'invalid_union':
        return `${path}: does not match any accepted form`;
      default:
        return `${path}: ${issue.message === 'Invalid input' ? 'invalid' : issue.message}`;
    }
  });
  return `Invalid request. ${parts.join('; ')}.`;
}
