/**
 * Configuration is read at cold start and fails with the variable's name: a function whose table or key variable
 * is missing does not start, instead of answering a retryable internal_error on its first call.
 */
import { boundVariables } from '@token-vault/cdk/src/definitions/access';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { TUNABLES, defaultTunables } from '@token-vault/cdk/src/definitions/tunables';
import { describeError } from '@token-vault/cdk/functions/core/observability';
import {
  ConfigurationError,
  loadApplications,
  loadProactiveRefresh,
  loadTunables,
  refreshTiming,
  requireBoundVariables,
  requireEnv,
} from '@token-vault/cdk/functions/runtime/config';
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

describe('requireEnv', () => {
  it('answers a set variable as it is, and refuses an unset or blank one by name', () => {
    expect(requireEnv('X', { X: ' value ' })).toBe(' value ');
    expect(thrown(() => requireEnv('X', {}))).toMatchObject({ code: 'missing', variable: 'X' });
    expect(thrown(() => requireEnv('X', { X: '' }))).toMatchObject({ code: 'missing', variable: 'X' });
  });
});

describe('loadTunables', () => {
  it('answers the defaults for an empty environment, and reads each variable in its own unit', () => {
    expect(loadTunables({})).toEqual(defaultTunables());
    const tunables = loadTunables({
      [TUNABLES.refreshMarginSeconds.env]: '120',
      [TUNABLES.providerTimeoutMs.env]: ' ',
    });
    expect(tunables.refreshMarginSeconds).toBe(120);
    expect(tunables.providerTimeoutMs).toBe(TUNABLES.providerTimeoutMs.default);
    const timing = refreshTiming(tunables);
    expect(timing.providerTimeoutMs).toBe(TUNABLES.providerTimeoutMs.default);
    expect(timing.leaseMs).toBe(TUNABLES.refreshLeaseSeconds.default * 1000);
  });

  it('names a value that is not an integer, or outside its bounds', () => {
    const variable = TUNABLES.refreshMarginSeconds.env;
    const { max } = TUNABLES.refreshMarginSeconds;
    for (const value of ['1.5', 'soon', '-1', String(max + 1)])
      expect(thrown(() => loadTunables({ [variable]: value }))).toMatchObject({ code: 'invalid', variable });
    expect(loadTunables({ [variable]: String(max) }).refreshMarginSeconds).toBe(max);
    expect(loadTunables({ [variable]: '0' }).refreshMarginSeconds).toBe(0);
  });

  it('refuses tunables each within bounds that together break the refresh time model', () => {
    // A 1-second lease cannot cover a 5-second provider attempt and the write after it.
    const error = thrown(() => loadTunables({ [TUNABLES.refreshLeaseSeconds.env]: '1' }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ code: 'invalid', variable: TUNABLES.refreshLeaseSeconds.env });
    expect((error as Error).message).toMatch(/^Tunables break the refresh time model \(/);
    expect((error as Error).message).toContain('the refresh lease (1000 ms) must cover');
  });
});

describe('loadApplications', () => {
  const application = {
    applicationId: 'default',
    authorizeUrl: 'https://provider.example.test/authorize',
    tokenUrl: 'https://provider.example.test/token',
    revocationUrl: 'https://provider.example.test/revoke',
    clientId: 'client',
    clientSecretId: 'secret-id',
    redirectUri: 'https://vault.example.test/oauth/callback',
  };
  const load = (value: unknown) => loadApplications({ [ENV.APPLICATIONS]: JSON.stringify(value) });

  it('parses the applications with their defaults', () => {
    expect(load([application])).toEqual([
      {
        ...application,
        scopes: [],
        tokenEndpointAuth: 'client_secret_post',
        revocationBody: 'json',
        returnTo: [],
      },
    ]);
  });

  it('names the variable and the path of each problem, never accepting a half-valid list', () => {
    const error = thrown(() => load([{ ...application, tokenUrl: 'not a url' }]));
    expect(error).toMatchObject({ code: 'invalid', variable: ENV.APPLICATIONS });
    expect((error as Error).message).toMatch(/^TOKEN_VAULT_APPLICATIONS is invalid: 0\.tokenUrl: /);
    expect(thrown(() => load([application, application]))).toMatchObject({
      message: 'TOKEN_VAULT_APPLICATIONS is invalid: (root): applicationId values must be unique',
    });
    expect(thrown(() => load([]))).toMatchObject({ code: 'invalid', variable: ENV.APPLICATIONS });
  });

  it('refuses a missing variable as missing', () => {
    expect(thrown(() => loadApplications({}))).toMatchObject({ code: 'missing', variable: ENV.APPLICATIONS });
  });
});

describe('loadProactiveRefresh', () => {
  it('defaults to used, accepts the three policies and names anything else', () => {
    expect(loadProactiveRefresh({})).toBe('used');
    expect(loadProactiveRefresh({ [ENV.PROACTIVE_REFRESH]: '' })).toBe('used');
    for (const policy of ['used', 'all', 'none'])
      expect(loadProactiveRefresh({ [ENV.PROACTIVE_REFRESH]: policy })).toBe(policy);
    expect(thrown(() => loadProactiveRefresh({ [ENV.PROACTIVE_REFRESH]: 'ALL' }))).toMatchObject({
      code: 'invalid',
      variable: ENV.PROACTIVE_REFRESH,
      message: `${ENV.PROACTIVE_REFRESH} must be one of used, all, none.`,
    });
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
