/**
 * Provider profiles as data: every profile resolves into a configuration the functions accept, template
 * parameters are filled in and checked, applications override fields, and the https rule of the functions'
 * schema.
 */
import {
  applicationConfigSchema,
  ERROR_CODE_TARGETS,
  HTTPS_REQUIRED_MESSAGE,
  providerBehaviourOf,
  refreshQuirksOf,
} from '@token-vault/cdk/src/definitions/applications';
import {
  PROFILE_IDS,
  PROFILES,
  ProfileError,
  resolveProfile,
  type ProfileId,
  type ProfileSelection,
} from '@token-vault/cdk/src/definitions/profiles';
import { providerSettings } from '@token-vault/cdk/functions/core/vault/applications';

/** Parameters that make each profile resolvable. */
const EXAMPLE_PARAMETERS: Record<ProfileId, Record<string, string>> = {
  otesse: {},
  keycloak: { baseUrl: 'https://sso.example.com', realm: 'acme' },
  google: {},
  microsoft: { tenant: 'contoso.onmicrosoft.com' },
  github: {},
  slack: {},
  salesforce: { instance: 'acme.my.salesforce.com' },
  okta: { domain: 'acme.okta.com' },
  auth0: { domain: 'acme.us.auth0.com' },
};

function resolve(profile: ProfileId, rest: Partial<ProfileSelection> = {}) {
  return resolveProfile({
    applicationId: 'crm',
    clientId: 'client 1',
    profile,
    profileParameters: EXAMPLE_PARAMETERS[profile],
    ...rest,
  });
}

function profileError(run: () => unknown): ProfileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProfileError) return error;
    throw error;
  }
  throw new Error('expected a ProfileError');
}

/** The functions' configuration for a resolved profile. */
function asConfig(profile: ProfileId, rest: Partial<ProfileSelection> = {}) {
  return applicationConfigSchema.safeParse({
    ...resolve(profile, rest),
    applicationId: 'crm',
    clientId: 'client 1',
    clientSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm-AbCdEf',
    redirectUri: 'https://vault.example.com/oauth/callback',
  });
}

describe('the profile catalogue', () => {
  it('has one profile per id, each citing its documentation', () => {
    expect(Object.keys(PROFILES).sort()).toEqual([...PROFILE_IDS].sort());
    for (const id of PROFILE_IDS) {
      expect(PROFILES[id].id).toBe(id);
      expect(PROFILES[id].docs.length).toBeGreaterThan(0);
      for (const doc of PROFILES[id].docs) expect(doc).toMatch(id === 'otesse' ? /^docs\/contract\.md/ : /^https:\/\//);
      for (const target of Object.values(PROFILES[id].errorCodes)) expect(ERROR_CODE_TARGETS).toContain(target);
    }
  });

  it.each(PROFILE_IDS)('%s resolves into a configuration the functions accept (https endpoints)', (id) => {
    const parsed = asConfig(id);
    expect(parsed.error?.issues).toBeUndefined();
    for (const url of [parsed.data!.authorizeUrl, parsed.data!.tokenUrl, parsed.data!.revocationUrl])
      expect(url).toMatch(/^https:\/\//);
    expect(parsed.data!.profile).toBe(id);
  });

  it('states the documented quirks in the resolved configuration the refresh core reads', () => {
    const quirks = (id: ProfileId) => refreshQuirksOf(resolve(id));
    expect(quirks('google')).toEqual({
      rotatesRefreshTokens: false,
      reuseGraceSeconds: 0,
      refreshTokenIdleExpirySeconds: 180 * 86400,
      refreshTokenOnFirstConsentOnly: true,
      revokeReplacedRefreshTokens: false,
    });
    expect(quirks('keycloak')).toEqual({
      rotatesRefreshTokens: true,
      reuseGraceSeconds: 0,
      refreshTokenIdleExpirySeconds: 30 * 86400,
      refreshTokenOnFirstConsentOnly: false,
      revokeReplacedRefreshTokens: true,
    });
    expect(quirks('microsoft')).toMatchObject({
      rotatesRefreshTokens: true,
      refreshTokenIdleExpirySeconds: 90 * 86400,
    });
    expect(quirks('okta')).toMatchObject({ rotatesRefreshTokens: true, reuseGraceSeconds: 30 });
    expect(quirks('auth0')).toMatchObject({ rotatesRefreshTokens: true, reuseGraceSeconds: 0 });
    expect(quirks('salesforce')).toMatchObject({ rotatesRefreshTokens: false });
    expect(quirks('github')).toMatchObject({ rotatesRefreshTokens: true, reuseGraceSeconds: 0 });
    expect(quirks('slack')).toMatchObject({ rotatesRefreshTokens: true });
    // An application without a profile: a returned refresh token always replaces the stored one, no grace.
    expect(refreshQuirksOf({})).toEqual({
      rotatesRefreshTokens: true,
      reuseGraceSeconds: 0,
      refreshTokenOnFirstConsentOnly: false,
      revokeReplacedRefreshTokens: false,
    });
  });

  it('maps the providers\' own error codes to the contract (GitHub and Slack "reconnect" codes to invalid_grant)', () => {
    expect(resolve('github').errorCodes).toMatchObject({
      bad_refresh_token: 'invalid_grant',
      bad_verification_code: 'invalid_grant',
      incorrect_client_credentials: 'invalid_client',
    });
    expect(resolve('slack').errorCodes).toMatchObject({
      invalid_refresh_token: 'invalid_grant',
      ratelimited: 'rate_limited',
    });
    expect(resolve('otesse').errorCodes).toEqual({ rate_limited: 'rate_limited' });
  });

  it('gives Google connect access_type=offline&prompt=consent and the providers needing it offline_access', () => {
    expect(resolve('google').authorizationParameters).toEqual({ access_type: 'offline', prompt: 'consent' });
    for (const id of ['keycloak', 'microsoft', 'okta', 'auth0'] as const)
      expect(resolve(id).requiredScopes).toEqual(['offline_access']);
    expect(resolve('salesforce').requiredScopes).toEqual(['refresh_token']);
    expect(resolve('slack')).toMatchObject({ scopeSeparator: ',', bearerTokenTypes: ['bot', 'user'] });
  });

  it('marks the providers without RFC 7009 revocation as revocationBody none', () => {
    const none = PROFILE_IDS.filter((id) => resolve(id).revocationBody === 'none');
    expect(none.sort()).toEqual(['github', 'microsoft', 'slack']);
    expect(resolve('otesse').revocationBody).toBe('json');
    expect(resolve('keycloak').revocationBody).toBe('form');
  });
});

describe('template parameters', () => {
  it('fills the endpoints and the issuer (Keycloak, trailing slash dropped)', () => {
    expect(
      resolve('keycloak', { profileParameters: { baseUrl: 'https://sso.example.com/auth/', realm: 'acme' } }),
    ).toMatchObject({
      authorizeUrl: 'https://sso.example.com/auth/realms/acme/protocol/openid-connect/auth',
      tokenUrl: 'https://sso.example.com/auth/realms/acme/protocol/openid-connect/token',
      revocationUrl: 'https://sso.example.com/auth/realms/acme/protocol/openid-connect/revoke',
      issuer: 'https://sso.example.com/auth/realms/acme',
    });
  });

  it("fills {tenant}, {instance}, {domain} and the application's {clientId}", () => {
    expect(resolve('microsoft').tokenUrl).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    );
    expect(resolve('salesforce').tokenUrl).toBe('https://acme.my.salesforce.com/services/oauth2/token');
    expect(resolve('auth0').revocationUrl).toBe('https://acme.us.auth0.com/oauth/revoke');
    expect(resolve('github').revocationUrl).toBe('https://api.github.com/applications/client%201/grant');
  });

  it("uses a parameter's default when the application gives none", () => {
    expect(resolve('salesforce', { profileParameters: {} }).authorizeUrl).toBe(
      'https://login.salesforce.com/services/oauth2/authorize',
    );
    expect(resolve('okta').tokenUrl).toBe('https://acme.okta.com/oauth2/default/v1/token');
    expect(
      resolve('okta', { profileParameters: { domain: 'acme.okta.com', authorizationServerId: 'aus1' } }).tokenUrl,
    ).toBe('https://acme.okta.com/oauth2/aus1/v1/token');
  });

  it.each([
    [
      'a missing parameter',
      'microsoft',
      {},
      'profileParameters.tenant',
      'required by the microsoft profile: the tenant: its ID, a domain such as contoso.onmicrosoft.com, or common, organizations, consumers',
    ],
    [
      'an unknown parameter',
      'okta',
      { domain: 'acme.okta.com', tennant: 'x' },
      'profileParameters.tennant',
      'the okta profile takes no such parameter; it takes domain, authorizationServerId',
    ],
    [
      'a parameter of a profile without any',
      'google',
      { tenant: 'x' },
      'profileParameters.tenant',
      'the google profile takes no parameters; remove it',
    ],
    [
      'a host with a path',
      'auth0',
      { domain: 'acme.auth0.com/evil' },
      'profileParameters.domain',
      'must be a host name (with an optional :port), without scheme or path: the tenant domain, e.g. example.us.auth0.com, or a custom domain',
    ],
    [
      'a host with a scheme',
      'salesforce',
      { instance: 'https://acme.my.salesforce.com' },
      'profileParameters.instance',
      expect.stringMatching(/^must be a host name/),
    ],
    [
      'a path segment with a slash',
      'microsoft',
      { tenant: 'a/../b' },
      'profileParameters.tenant',
      expect.stringMatching(/^must be one path segment of \[A-Za-z0-9._~-\]/),
    ],
    [
      'an http base URL',
      'keycloak',
      { baseUrl: 'http://sso.example.com', realm: 'acme' },
      'profileParameters.baseUrl',
      `${HTTPS_REQUIRED_MESSAGE}: the Keycloak server URL, e.g. https://sso.example.com (add /auth for Keycloak 16 and older)`,
    ],
    [
      'a base URL with a query',
      'keycloak',
      { baseUrl: 'https://sso.example.com/?x=1', realm: 'acme' },
      'profileParameters.baseUrl',
      expect.stringMatching(/^must be a URL without query, fragment or credentials/),
    ],
  ])('refuses %s, naming the application and the field', (_name, profile, profileParameters, field, reason) => {
    const error = profileError(() =>
      resolveProfile({ applicationId: 'crm', clientId: 'c', profile: profile as ProfileId, profileParameters }),
    );
    expect(error.field).toBe(field);
    expect(error.reason).toEqual(reason);
    expect(error.message).toEqual(
      typeof reason === 'string'
        ? `applications[crm].${field}: ${reason}`
        : expect.stringMatching(/^applications\[crm\]\./),
    );
  });

  it('accepts an http base URL on a loopback host (a Keycloak in the local stack)', () => {
    expect(resolve('keycloak', { profileParameters: { baseUrl: 'http://127.0.0.1:8080', realm: 'dev' } }).issuer).toBe(
      'http://127.0.0.1:8080/realms/dev',
    );
  });
});

describe('application overrides', () => {
  it('replaces the default scopes and always adds the required ones', () => {
    expect(resolve('microsoft').scopes).toEqual(['openid', 'offline_access']);
    expect(resolve('microsoft', { scopes: ['User.Read', 'Mail.Read'] }).scopes).toEqual([
      'User.Read',
      'Mail.Read',
      'offline_access',
    ]);
    expect(resolve('microsoft', { scopes: ['offline_access'] }).scopes).toEqual(['offline_access']);
    expect(resolve('microsoft', { requiredScopes: [] }).scopes).toEqual(['openid']);
  });

  it('merges authorization parameters (an empty value removes one) and error codes', () => {
    expect(
      resolve('google', { authorizationParameters: { prompt: '', login_hint: 'x@example.com' } })
        .authorizationParameters,
    ).toEqual({
      access_type: 'offline',
      login_hint: 'x@example.com',
    });
    expect(
      resolve('auth0', { authorizationParameters: { audience: 'https://api.example.com' } }).authorizationParameters,
    ).toEqual({ audience: 'https://api.example.com' });
    expect(
      resolve('github', { errorCodes: { bad_refresh_token: 'invalid_request', other: 'server_error' } }).errorCodes,
    ).toMatchObject({
      bad_refresh_token: 'invalid_request',
      other: 'server_error',
      bad_verification_code: 'invalid_grant',
    });
  });

  it('overrides endpoints, quirks and the issuer check (an empty issuer turns it off)', () => {
    const resolved = resolve('keycloak', {
      tokenUrl: 'https://proxy.example.com/token',
      rotatesRefreshTokens: false,
      reuseGraceSeconds: 10,
      refreshTokenIdleExpirySeconds: 3600,
      issuer: '',
    });
    expect(resolved).toMatchObject({
      tokenUrl: 'https://proxy.example.com/token',
      rotatesRefreshTokens: false,
      reuseGraceSeconds: 10,
      refreshTokenIdleExpirySeconds: 3600,
    });
    expect(resolved.issuer).toBeUndefined();
    expect(resolved.authorizeUrl).toBe('https://sso.example.com/realms/acme/protocol/openid-connect/auth');
  });

  it("reaches the OAuth client's settings through the application registry", () => {
    const parsed = asConfig('slack', { resource: ['https://api.example.com/'] });
    expect(providerSettings(parsed.data!)).toMatchObject({
      scopeSeparator: ',',
      bearerTokenTypes: ['bot', 'user'],
      errorCodes: expect.objectContaining({ invalid_refresh_token: 'invalid_grant' }),
      resource: ['https://api.example.com/'],
      revocationBody: 'none',
    });
    expect(providerBehaviourOf(parsed.data!)).toMatchObject({ profile: 'slack', rotatesRefreshTokens: true });
  });
});

describe("the functions' schema", () => {
  const base = {
    applicationId: 'crm',
    clientId: 'c',
    clientSecretId: 'secret',
    redirectUri: 'http://127.0.0.1:3000/oauth/callback',
    authorizeUrl: 'https://idp.example.com/authorize',
    tokenUrl: 'https://idp.example.com/token',
    revocationUrl: 'https://idp.example.com/revoke',
  };
  const issues = (overrides: Record<string, unknown>) =>
    applicationConfigSchema
      .safeParse({ ...base, ...overrides })
      .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

  it.each(['authorizeUrl', 'tokenUrl', 'revocationUrl'])(
    'refuses http for %s outside loopback, saying why',
    (field) => {
      expect(issues({ [field]: 'http://idp.example.com/x' })).toEqual([`${field}: ${HTTPS_REQUIRED_MESSAGE}`]);
      expect(HTTPS_REQUIRED_MESSAGE).toBe(
        'must be an https URL (http is accepted only for loopback hosts: 127.0.0.1, ::1, localhost)',
      );
    },
  );

  it.each([
    'http://127.0.0.1:5555/token',
    'http://[::1]:5555/token',
    'http://localhost:5555/token',
    'https://idp.example.com/token',
  ])('accepts %s', (url) => {
    expect(issues({ tokenUrl: url })).toEqual([]);
  });

  it('gives a non-http URL one message, as before', () => {
    expect(issues({ tokenUrl: 'ftp://x.example/token' })).toEqual(['tokenUrl: must be an http(s) URL']);
    expect(issues({ tokenUrl: 'not a url' })).toEqual(['tokenUrl: must be an http(s) URL']);
  });

  it("refuses authorization parameters that would replace the protocol's own, and bad provider fields", () => {
    expect(issues({ authorizationParameters: { state: 'x' } })).toEqual([
      'authorizationParameters: must not set response_type, client_id, redirect_uri, scope, state, code_challenge, code_challenge_method, resource (the client sets them)',
    ]);
    expect(issues({ resource: ['https://api.example.com/#frag'] })).toEqual([
      'resource.0: must be an absolute URI without a fragment (RFC 8707)',
    ]);
    expect(issues({ errorCodes: { bad_refresh_token: 'reconnect' } })).toHaveLength(1);
    expect(issues({ scopeSeparator: ';' })).toHaveLength(1);
    expect(issues({ reuseGraceSeconds: -1 })).toHaveLength(1);
    expect(issues({ bearerTokenTypes: ['bot user'] })).toEqual([
      'bearerTokenTypes.0: must be 1-32 characters of [A-Za-z0-9_-]',
    ]);
    expect(issues({ profile: 'myspace' })).toHaveLength(1);
  });

  it('keeps an application without the new fields exactly as before', () => {
    const parsed = applicationConfigSchema.parse(base);
    expect(parsed).toEqual({
      ...base,
      scopes: [],
      tokenEndpointAuth: 'client_secret_post',
      revocationBody: 'json',
      returnTo: [],
    });
  });
});
