/** The local stack's `OAUTH_*` configuration (docs/contract.md "Local stack"). */
import { LocalConfigError, readProviderChoice } from '../../local/config';
import {
  applicationsValue,
  developmentApplication,
  developmentClient,
  devProviderProfileApplication,
} from '../../local/dev-application';

const EXTERNAL = {
  OAUTH_AUTHORIZE_URL: 'https://auth.example.com/oauth/authorize',
  OAUTH_TOKEN_URL: 'https://auth.example.com/oauth/token',
  OAUTH_REVOCATION_URL: 'https://auth.example.com/oauth/revoke',
  OAUTH_CLIENT_ID: 'client-1',
  OAUTH_CLIENT_SECRET: 'super-secret-value',
};

function configError(env: NodeJS.ProcessEnv): LocalConfigError {
  try {
    readProviderChoice(env, 3000);
  } catch (err) {
    if (err instanceof LocalConfigError) return err;
    throw err;
  }
  throw new Error('expected a LocalConfigError');
}

describe('readProviderChoice', () => {
  it('chooses the development provider without provider variables, with local defaults', () => {
    expect(readProviderChoice({}, 4321)).toEqual({
      kind: 'development',
      settings: {
        redirectUri: 'http://127.0.0.1:4321/oauth/callback',
        returnTo: ['http://127.0.0.1:4321/connected'],
        scopes: undefined,
        tokenEndpointAuth: undefined,
        revocationBody: undefined,
      },
    });
  });

  it('reads a complete external provider, with the seed defaults for what is not set', () => {
    const choice = readProviderChoice(
      { ...EXTERNAL, OAUTH_SCOPES: ' read  write ', OAUTH_ISSUER: 'https://auth.example.com' },
      3000,
    );
    expect(choice).toEqual({
      kind: 'external',
      application: {
        clientSecret: 'super-secret-value',
        config: {
          applicationId: 'default',
          authorizeUrl: EXTERNAL.OAUTH_AUTHORIZE_URL,
          tokenUrl: EXTERNAL.OAUTH_TOKEN_URL,
          revocationUrl: EXTERNAL.OAUTH_REVOCATION_URL,
          issuer: 'https://auth.example.com',
          clientId: 'client-1',
          scopes: ['read', 'write'],
          tokenEndpointAuth: 'client_secret_post',
          revocationBody: 'json',
          redirectUri: 'http://127.0.0.1:3000/oauth/callback',
          returnTo: ['http://127.0.0.1:3000/connected'],
        },
      },
    });
  });

  it('takes the redirect URI exactly as given and the returnTo list comma-separated', () => {
    const choice = readProviderChoice(
      {
        ...EXTERNAL,
        OAUTH_REDIRECT_URI: 'http://localhost:8080/cb',
        OAUTH_RETURN_TO: 'https://app.example.com/done, https://app.example.com/settings',
        OAUTH_TOKEN_AUTH: 'client_secret_basic',
        OAUTH_REVOCATION_BODY: 'form',
      },
      3000,
    );
    expect(choice.kind === 'external' && choice.application.config).toMatchObject({
      redirectUri: 'http://localhost:8080/cb',
      returnTo: ['https://app.example.com/done', 'https://app.example.com/settings'],
      tokenEndpointAuth: 'client_secret_basic',
      revocationBody: 'form',
    });
  });

  it('lists the missing variables when only some are set', () => {
    expect(configError({ OAUTH_CLIENT_ID: 'c', OAUTH_TOKEN_URL: 'https://x.example/token' }).message).toBe(
      'incomplete provider configuration: OAUTH_TOKEN_URL, OAUTH_CLIENT_ID are set, but OAUTH_AUTHORIZE_URL, ' +
        'OAUTH_REVOCATION_URL, OAUTH_CLIENT_SECRET are missing. Set all of OAUTH_AUTHORIZE_URL, OAUTH_TOKEN_URL, ' +
        'OAUTH_REVOCATION_URL, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET (and optionally OAUTH_ISSUER), or none of them ' +
        'to use the built-in development provider',
    );
  });

  it('names the variable of an invalid value and never quotes the secret', () => {
    const err = configError({
      ...EXTERNAL,
      OAUTH_TOKEN_URL: 'ftp://x.example/token',
      OAUTH_RETURN_TO: 'https://ok.example/a,nope',
    });
    expect(err.message).toBe('invalid provider configuration: OAUTH_RETURN_TO (entry 2): must be an http(s) URL');
    expect(configError({ ...EXTERNAL, OAUTH_TOKEN_URL: 'ftp://x.example/token' }).message).toBe(
      'invalid provider configuration: OAUTH_TOKEN_URL: must be an http(s) URL',
    );
    expect(configError({ ...EXTERNAL, OAUTH_CLIENT_ID: ' ', OAUTH_ISSUER: 'x' }).message).not.toContain(
      'super-secret-value',
    );
  });

  it('rejects unknown OAUTH_TOKEN_AUTH and OAUTH_REVOCATION_BODY values', () => {
    expect(configError({ ...EXTERNAL, OAUTH_TOKEN_AUTH: 'private_key_jwt' }).message).toBe(
      'OAUTH_TOKEN_AUTH must be one of client_secret_post, client_secret_basic',
    );
    expect(configError({ OAUTH_REVOCATION_BODY: 'xml' }).message).toBe(
      'OAUTH_REVOCATION_BODY must be one of json, form, none',
    );
  });

  it('refuses OAUTH_REVOCATION_BODY=json with the development provider', () => {
    expect(configError({ OAUTH_REVOCATION_BODY: 'json' }).message).toMatch(
      /^OAUTH_REVOCATION_BODY=json does not work with the built-in development provider/,
    );
  });
});

describe('readProviderChoice with a provider profile', () => {
  const PROFILE = { OAUTH_CLIENT_ID: 'client-1', OAUTH_CLIENT_SECRET: 'super-secret-value' };

  it('takes the endpoints from OAUTH_PROFILE and its parameters, so the URL variables are optional', () => {
    const choice = readProviderChoice(
      {
        ...PROFILE,
        OAUTH_PROFILE: 'keycloak',
        OAUTH_PROFILE_PARAMETERS: 'baseUrl=https://sso.example.com, realm=acme',
        OAUTH_SCOPES: 'read',
      },
      3000,
    );
    expect(choice.kind === 'external' && choice.application.config).toMatchObject({
      profile: 'keycloak',
      authorizeUrl: 'https://sso.example.com/realms/acme/protocol/openid-connect/auth',
      tokenUrl: 'https://sso.example.com/realms/acme/protocol/openid-connect/token',
      revocationUrl: 'https://sso.example.com/realms/acme/protocol/openid-connect/revoke',
      issuer: 'https://sso.example.com/realms/acme',
      scopes: ['read', 'offline_access'],
      requiredScopes: ['offline_access'],
      revocationBody: 'form',
      redirectUri: 'http://127.0.0.1:3000/oauth/callback',
    });
  });

  it('lets the OAUTH_* variables override the profile (a local Keycloak on loopback http)', () => {
    const choice = readProviderChoice(
      {
        ...PROFILE,
        OAUTH_PROFILE: 'google',
        OAUTH_TOKEN_URL: 'http://127.0.0.1:9999/token',
        OAUTH_AUTHORIZATION_PARAMETERS: 'prompt=select_account,login_hint=a@example.com',
        OAUTH_RESOURCE: 'https://api.example.com/',
      },
      3000,
    );
    expect(choice.kind === 'external' && choice.application.config).toMatchObject({
      tokenUrl: 'http://127.0.0.1:9999/token',
      authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      authorizationParameters: { access_type: 'offline', prompt: 'select_account', login_hint: 'a@example.com' },
      resource: ['https://api.example.com/'],
      refreshTokenOnFirstConsentOnly: true,
    });
  });

  it('names what is missing or wrong, by variable', () => {
    expect(configError({ OAUTH_PROFILE: 'microsoft' }).message).toBe(
      'incomplete provider configuration: OAUTH_PROFILE=microsoft also needs OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET (the endpoints come from the profile)',
    );
    expect(configError({ ...PROFILE, OAUTH_PROFILE: 'microsoft' }).message).toBe(
      'invalid provider configuration: OAUTH_PROFILE_PARAMETERS (tenant): required by the microsoft profile: the tenant: its ID, a domain such as contoso.onmicrosoft.com, or common, organizations, consumers',
    );
    expect(configError({ ...PROFILE, OAUTH_PROFILE: 'myspace' }).message).toBe(
      'OAUTH_PROFILE must be one of otesse, keycloak, google, microsoft, github, slack, salesforce, okta, auth0',
    );
    expect(configError({ ...EXTERNAL, OAUTH_PROFILE_PARAMETERS: 'tenant=x' }).message).toMatch(
      /^OAUTH_PROFILE_PARAMETERS is only used with OAUTH_PROFILE/,
    );
    expect(configError({ ...PROFILE, OAUTH_PROFILE: 'okta', OAUTH_PROFILE_PARAMETERS: 'domain' }).message).toBe(
      'OAUTH_PROFILE_PARAMETERS must be comma-separated name=value pairs',
    );
    expect(configError({ ...EXTERNAL, OAUTH_AUTHORIZATION_PARAMETERS: 'state=x' }).message).toBe(
      'invalid provider configuration: OAUTH_AUTHORIZATION_PARAMETERS: must not set response_type, client_id, redirect_uri, scope, state, code_challenge, code_challenge_method, resource (the client sets them)',
    );
  });

  it('refuses an http provider endpoint outside loopback, naming the variable', () => {
    expect(configError({ ...EXTERNAL, OAUTH_TOKEN_URL: 'http://auth.example.com/oauth/token' }).message).toBe(
      'invalid provider configuration: OAUTH_TOKEN_URL: must be an https URL (http is accepted only for loopback hosts: 127.0.0.1, ::1, localhost)',
    );
    expect(readProviderChoice({ ...EXTERNAL, OAUTH_TOKEN_URL: 'http://localhost:8080/token' }, 3000).kind).toBe(
      'external',
    );
  });
});

describe('development application', () => {
  const provider = {
    issuer: 'http://127.0.0.1:5555',
    authorizeUrl: 'http://127.0.0.1:5555/auth',
    tokenUrl: 'http://127.0.0.1:5555/token',
    revocationUrl: 'http://127.0.0.1:5555/token/revocation',
  };

  it('registers the client and configures the application to match, scopes overridable', () => {
    const choice = readProviderChoice({ OAUTH_SCOPES: 'read' }, 3000);
    if (choice.kind !== 'development') throw new Error('expected development');
    expect(developmentClient(choice.settings, 's3cret-s3cret')).toEqual({
      client_id: 'token-vault-local',
      client_secret: 's3cret-s3cret',
      redirect_uris: ['http://127.0.0.1:3000/oauth/callback'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    const app = developmentApplication(provider, choice.settings, 's3cret-s3cret');
    expect(app.clientSecret).toBe('s3cret-s3cret');
    expect(app.config).toMatchObject({
      issuer: provider.issuer,
      scopes: ['read'],
      revocationBody: 'form',
      clientId: 'token-vault-local',
    });
    expect(applicationsValue(app, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x')).toEqual([
      { ...app.config, clientSecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' },
    ]);
  });

  it("configures a profile against the development provider: its endpoints, the profile's behaviour", () => {
    const client = {
      clientId: 'c',
      clientSecretId: 'x',
      redirectUri: 'http://127.0.0.1:3000/oauth/callback',
      returnTo: [],
    };
    expect(devProviderProfileApplication(provider, 'microsoft', client)).toMatchObject({
      authorizeUrl: provider.authorizeUrl,
      tokenUrl: provider.tokenUrl,
      revocationUrl: provider.revocationUrl,
      revocationBody: 'none',
      requiredScopes: ['offline_access'],
      profile: 'microsoft',
    });
    expect(devProviderProfileApplication(provider, 'microsoft', client).issuer).toBeUndefined();
    expect(devProviderProfileApplication(provider, 'keycloak', client).issuer).toBe(provider.issuer);
    // JSON revocation becomes form: the development provider speaks only RFC 7009's form body.
    expect(devProviderProfileApplication(provider, 'otesse', client).revocationBody).toBe('form');
  });
});
