/**
 * Answer shaping alone (packages/cdk/functions/runtime/answers.ts, token-answer.ts): validation errors name the
 * fields and never their values; a VaultError keeps its contract code; anything else becomes a retryable
 * internal_error with a fixed message, its detail logged without its message.
 */
import { MESSAGES, VaultError } from '@token-vault/cdk/functions/core/errors';
import type { VaultLogger } from '@token-vault/cdk/functions/core/observability';
import {
  connectRequestSchema,
  revokeRequestSchema,
  tokenFetchRequestSchema,
} from '@token-vault/cdk/functions/contract/requests';
import { errorAnswer } from '@token-vault/cdk/functions/runtime/answers';
import { tokenAnswer } from '@token-vault/cdk/functions/runtime/token-answer';

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes?: Record<string, unknown>;
}

function recordingLogger(): VaultLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log =
    (level: LogLine['level']) =>
    (message: string, attributes?: Record<string, unknown>): void =>
      void lines.push({ level, message, ...(attributes === undefined ? {} : { attributes }) });
  return { lines, info: log('info'), warn: log('warn'), error: log('error') };
}

/** The zod error a handler's parse throws for `payload`. */
function validationError(schema: { parse(input: unknown): unknown }, payload: unknown): unknown {
  try {
    schema.parse(payload);
  } catch (error) {
    return error;
  }
  throw new Error('expected the payload to be refused');
}

describe('errorAnswer', () => {
  it('answers a validation error invalid_request, naming fields and never quoting values', () => {
    const logger = recordingLogger();
    const answer = errorAnswer(
      validationError(tokenFetchRequestSchema, { userId: 'secret value!', minValiditySeconds: -1, extra: 1 }),
      logger,
    );
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid_request', retryable: false } });
    const message = answer.error.message;
    expect(message).toMatch(/^Invalid request\. /);
    expect(message).toContain('userId: must be 1-128 characters');
    expect(message).toContain('minValiditySeconds: must be at least 0');
    expect(message).toContain('payload: unknown field(s) extra');
    expect(message).not.toContain('secret value');
    // A caller's bad input is not the vault's failure: nothing logged.
    expect(logger.lines).toEqual([]);
  });

  it('words each kind of issue from its code', () => {
    const describe = (schema: { parse(input: unknown): unknown }, payload: unknown): string =>
      errorAnswer(validationError(schema, payload), recordingLogger()).error.message;
    expect(describe(tokenFetchRequestSchema, { userId: 7 })).toContain('userId: expected string');
    expect(describe(revokeRequestSchema, { userId: 'u', reason: 'bored' })).toMatch(/reason: expected one of "/);
    expect(describe(tokenFetchRequestSchema, { userId: 'u', minValiditySeconds: 10 ** 9 })).toContain(
      'minValiditySeconds: must be at most 43200',
    );
    expect(describe(connectRequestSchema, { userId: 'u', returnTo: '' })).toContain(
      'returnTo: must be at least 1 long',
    );
    expect(describe(tokenFetchRequestSchema, 'not an object')).toContain('payload: expected object');
  });

  it('does not print an unknown field name that could carry data', () => {
    const message = errorAnswer(
      validationError(tokenFetchRequestSchema, { userId: 'u', 'Bearer eyJhbGciOi.x': 1 }),
      recordingLogger(),
    ).error.message;
    expect(message).toContain('payload: unknown field(s) (unprintable)');
    expect(message).not.toContain('eyJ');
  });

  it('names at most five issues', () => {
    const payload = { userId: 'u', scopes: Array.from({ length: 8 }, (_, i) => `bad scope ${i}`) };
    const error = validationError(connectRequestSchema, payload) as { issues: unknown[] };
    expect(error.issues.length).toBeGreaterThan(5);
    const message = errorAnswer(error, recordingLogger()).error.message;
    expect(message.split('; ')).toHaveLength(5);
  });

  it('keeps the code, message and retryability of a VaultError, with its retry hint', () => {
    const logger = recordingLogger();
    expect(
      errorAnswer(new VaultError('rate_limited', MESSAGES.rateLimited, { retryAfterSeconds: 2.1 }), logger),
    ).toEqual({
      ok: false,
      error: { code: 'rate_limited', message: MESSAGES.rateLimited, retryable: true, retryAfterSeconds: 3 },
    });
    expect(errorAnswer(new VaultError('not_connected', MESSAGES.notConnected), logger)).toEqual({
      ok: false,
      error: { code: 'not_connected', message: MESSAGES.notConnected, retryable: false },
    });
    expect(logger.lines).toEqual([]);
  });

  it("logs an internal VaultError's cause by name only", () => {
    const logger = recordingLogger();
    const cause = Object.assign(new Error('Item {"accessToken":"tok"} rejected'), { name: 'ValidationException' });
    const answer = errorAnswer(new VaultError('internal_error', MESSAGES.internal, { cause }), logger);
    expect(answer.error).toEqual({ code: 'internal_error', message: MESSAGES.internal, retryable: true });
    expect(logger.lines).toEqual([
      { level: 'error', message: 'Request failed.', attributes: { errorName: 'ValidationException' } },
    ]);
  });

  it('answers anything else a retryable internal_error with the fixed message, and logs it without its message', () => {
    const logger = recordingLogger();
    const answer = errorAnswer(new TypeError('cannot read "refresh-token-value"'), logger);
    expect(answer).toEqual({
      ok: false,
      error: { code: 'internal_error', message: MESSAGES.internal, retryable: true },
    });
    expect(logger.lines).toEqual([
      { level: 'error', message: 'Unexpected failure.', attributes: { errorName: 'TypeError' } },
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain('refresh-token-value');
  });
});

describe('tokenAnswer', () => {
  it('answers the access token with its expiry as ISO text, and nothing else', () => {
    const issued = {
      accessToken: 'access-token-value',
      tokenType: 'Bearer',
      expiresAt: Date.UTC(2026, 0, 1, 1),
      scope: 'read',
      refreshToken: 'must-not-appear',
    };
    expect(tokenAnswer(issued)).toEqual({
      accessToken: 'access-token-value',
      tokenType: 'Bearer',
      expiresAt: '2026-01-01T01:00:00.000Z',
      scope: 'read',
    });
  });
});
