/**
 * Configuration is read at cold start and fails with the variable's name: a function whose table or key variable
 * is missing does not start, instead of answering a retryable internal_error on its first call.
 */
import { boundVariables } from '@token-vault/cdk/src/definitions/access';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { describeError } from '@token-vault/cdk/functions/core/observability';
import { ConfigurationError, loadTunables, requireBoundVariables } from '@token-vault/cdk/functions/runtime/config';
import { Container } from '@token-vault/cdk/functions/runtime/container';

const ALL_BOUND = {
  [ENV.APPLICATIONS]: '[]',
  [ENV.STATES_TABLE]: 'states',
  [ENV.CONNECTIONS_TABLE]: 'connections',
  [ENV.KEY_ID]: 'alias/vault',
};

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('Container at cold start', () => {
  it('fails naming the first missing variable of the function it serves', () => {
    const { [ENV.KEY_ID]: _key, ...env } = ALL_BOUND;
    const error = thrown(() => new Container(env, 'tokenFetch'));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({
      code: 'missing',
      variable: 'TOKEN_VAULT_KEY_ID',
      message: 'TOKEN_VAULT_KEY_ID environment variable is not set.',
    });
  });

  it('treats an empty variable as missing', () => {
    const error = thrown(() => new Container({ ...ALL_BOUND, [ENV.CONNECTIONS_TABLE]: ' ' }, 'refresh'));
    expect(error).toMatchObject({ code: 'missing', variable: 'TOKEN_VAULT_CONNECTIONS_TABLE' });
  });

  it('does not ask a function for what it is not bound to (connect has no key and no connections table)', () => {
    const env = { [ENV.APPLICATIONS]: '[]', [ENV.STATES_TABLE]: 'states' };
    expect(() => requireBoundVariables('connect', env)).not.toThrow();
    expect(boundVariables('connect')).toEqual([ENV.APPLICATIONS, ENV.STATES_TABLE]);
  });

  it('starts every function with all its variables set', () => {
    for (const fn of ['connect', 'callback', 'tokenFetch', 'refresh', 'revoke'] as const) {
      expect(() => requireBoundVariables(fn, ALL_BOUND)).not.toThrow();
    }
  });

  it('names an invalid applications variable', () => {
    const error = thrown(() => new Container({ ...ALL_BOUND, [ENV.APPLICATIONS]: '{' }, 'revoke'));
    expect(error).toMatchObject({
      code: 'invalid',
      variable: 'TOKEN_VAULT_APPLICATIONS',
      message: 'TOKEN_VAULT_APPLICATIONS is not valid JSON.',
    });
  });

  it('names a tunable out of bounds', () => {
    const variable = TUNABLES.refreshMarginSeconds.env;
    const error = thrown(() => loadTunables({ [variable]: '-1' }));
    expect(error).toMatchObject({ code: 'invalid', variable });
    expect((error as Error).message).toMatch(new RegExp(`^${variable} must be an integer from `));
  });
});

describe('describeError', () => {
  it('logs the code, fields and message of the core errors without a list of their names', () => {
    const error = new ConfigurationError(
      'missing',
      'TOKEN_VAULT_KEY_ID',
      'TOKEN_VAULT_KEY_ID environment variable is not set.',
    );
    expect(describeError(error)).toEqual({
      errorName: 'ConfigurationError',
      code: 'missing',
      variable: 'TOKEN_VAULT_KEY_ID',
      errorMessage: 'TOKEN_VAULT_KEY_ID environment variable is not set.',
    });
  });

  it('keeps only the name of other errors, whose messages may quote requests', () => {
    const sdk = Object.assign(new Error('Item {"token": "secret"} rejected'), { name: 'ValidationException' });
    expect(describeError(sdk)).toEqual({ errorName: 'ValidationException' });
    expect(describeError('thrown string')).toEqual({ errorName: 'UnknownError' });
  });
});
