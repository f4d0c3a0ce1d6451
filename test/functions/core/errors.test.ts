/** The vault's error alone (packages/cdk/functions/core/errors.ts): a contract code, its retryability, a retry hint. */
import { CoreError } from '@token-vault/cdk/functions/core/base-error';
import { MESSAGES, VaultError } from '@token-vault/cdk/functions/core/errors';
import { describeError } from '@token-vault/cdk/functions/core/observability';

describe('VaultError', () => {
  it('is a CoreError whose retryability follows its contract code', () => {
    const error = new VaultError('provider_unavailable', MESSAGES.providerUnavailable);
    expect(error).toBeInstanceOf(CoreError);
    expect(error).toMatchObject({ name: 'VaultError', code: 'provider_unavailable', retryable: true });
    expect(new VaultError('reauthorization_required', MESSAGES.reauthorizationRequired).retryable).toBe(false);
    expect(new VaultError('invalid_request', 'x').retryable).toBe(false);
  });

  it('rounds the retry hint up to whole seconds, at least one', () => {
    expect(new VaultError('rate_limited', 'x', { retryAfterSeconds: 0.2 }).retryAfterSeconds).toBe(1);
    expect(new VaultError('rate_limited', 'x', { retryAfterSeconds: 0 }).retryAfterSeconds).toBe(1);
    expect(new VaultError('rate_limited', 'x', { retryAfterSeconds: 2.01 }).retryAfterSeconds).toBe(3);
    expect(new VaultError('rate_limited', 'x').retryAfterSeconds).toBeUndefined();
  });

  it('keeps its cause and logs by code and message', () => {
    const cause = new Error('sdk');
    const error = new VaultError('internal_error', MESSAGES.internal, { cause });
    expect(error.cause).toBe(cause);
    expect(describeError(error)).toEqual({
      errorName: 'VaultError',
      code: 'internal_error',
      errorMessage: MESSAGES.internal,
    });
  });
});
