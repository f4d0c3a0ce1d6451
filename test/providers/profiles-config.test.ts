/**
 * Profiles in the deployment configuration (infra/config.ts, read by `cdk synth`): resolved at synthesis, http
 * refused with a message that names the application and the field and says how to fix it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDeploymentConfig } from '../../infra/config';
import { TokenVaultConfigError } from '@token-vault/cdk/lib/constructs/errors';

function load(applications: unknown[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-vault-profiles-'));
  try {
    fs.writeFileSync(path.join(dir, 'vault.json'), JSON.stringify({ applications }));
    return loadDeploymentConfig((key) => ({ config: 'vault.json' })[key], dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function configError(applications: unknown[]): TokenVaultConfigError {
  try {
    load(applications);
  } catch (error) {
    if (error instanceof TokenVaultConfigError) return error;
    throw error;
  }
  throw new Error('expected a TokenVaultConfigError');
}

describe('deployment configuration with profiles', () => {
  it('resolves a profile into flat provider fields at synthesis', () => {
    const { config } = load([
      {
        applicationId: 'mail',
        profile: 'microsoft',
        profileParameters: { tenant: 'contoso.onmicrosoft.com' },
        clientId: 'c',
        scopes: ['Mail.Read'],
      },
    ]);
    expect(config.applications[0]).toEqual({
      applicationId: 'mail',
      profile: 'microsoft',
      clientId: 'c',
      authorizeUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      revocationUrl: 'https://graph.microsoft.com/v1.0/me/revokeSignInSessions',
      scopes: ['Mail.Read', 'offline_access'],
      requiredScopes: ['offline_access'],
      tokenEndpointAuth: 'client_secret_post',
      revocationBody: 'none',
      authorizationParameters: {},
      scopeSeparator: ' ',
      errorCodes: {},
      bearerTokenTypes: [],
      rotatesRefreshTokens: true,
      refreshTokenIdleExpirySeconds: 90 * 24 * 60 * 60,
      refreshTokenOnFirstConsentOnly: false,
      revokeReplacedRefreshTokens: false,
    });
  });

  it('keeps an application without a profile as given (the construct applies the seed defaults)', () => {
    const { config } = load([
      { applicationId: 'crm', clientId: 'c', authorizationParameters: { audience: 'https://api.example.com' } },
    ]);
    expect(config.applications[0]).toEqual({
      applicationId: 'crm',
      clientId: 'c',
      authorizationParameters: { audience: 'https://api.example.com' },
    });
  });

  it.each(['authorizeUrl', 'tokenUrl', 'revocationUrl'])(
    'refuses an http %s, naming the application and the field',
    (field) => {
      const error = configError([{ applicationId: 'crm', clientId: 'c', [field]: 'http://idp.example.com/x' }]);
      expect(error.message).toMatch(/^Invalid configuration \(.*vault\.json\):\n {2}/);
      expect(error.message.split('\n').slice(1)).toEqual([
        `  applications[crm].${field}: http: is not allowed in a deployment (the client secret and tokens would cross the network unencrypted); use the provider's https:// endpoint.`,
      ]);
    },
  );

  it('refuses http even on loopback, and through a profile parameter', () => {
    expect(configError([{ clientId: 'c', tokenUrl: 'http://127.0.0.1:8080/token' }]).message).toMatch(
      /applications\[default\]\.tokenUrl: http: is not allowed in a deployment/,
    );
    expect(
      configError([
        { clientId: 'c', profile: 'keycloak', profileParameters: { baseUrl: 'http://sso.example.com', realm: 'acme' } },
      ]).message,
    ).toMatch(
      /applications\[default\]\.profileParameters\.baseUrl: must be an https URL \(http is accepted only for loopback hosts/,
    );
    expect(
      configError([
        { clientId: 'c', profile: 'keycloak', profileParameters: { baseUrl: 'http://localhost:8080', realm: 'acme' } },
      ]).message,
    ).toMatch(/applications\[default\]\.authorizeUrl: http: is not allowed in a deployment/);
  });

  it('reports profile problems of every application, one line each', () => {
    const error = configError([
      { applicationId: 'a', clientId: 'c', profile: 'microsoft' },
      { applicationId: 'b', clientId: 'c', profileParameters: { tenant: 'x' } },
      { applicationId: 'g', clientId: 'c', profile: 'google', authorizationParameters: { state: 'fixed' } },
    ]);
    expect(error.message.split('\n').slice(1)).toEqual([
      '  applications[a].profileParameters.tenant: required by the microsoft profile: the tenant: its ID, a domain such as contoso.onmicrosoft.com, or common, organizations, consumers',
      '  applications[b].profileParameters: only used with a profile; name one in "profile" (otesse, keycloak, google, microsoft, github, slack, salesforce, okta, auth0) or remove it',
      '  applications[g].authorizationParameters: must not set response_type, client_id, redirect_uri, scope, state, code_challenge, code_challenge_method, resource (the client sets them)',
    ]);
  });

  it('refuses an unknown profile id like any other unknown value', () => {
    expect(configError([{ clientId: 'c', profile: 'myspace' }]).message).toMatch(
      /applications\.0\.profile: Invalid option/,
    );
  });
});
