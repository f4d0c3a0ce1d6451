/**
 * The provider profiles: configuration presets for the providers teams connect, each value taken from the
 * provider's documentation (linked with `@see` and in `docs`). An application names one (`profile: 'google'`),
 * gives its parameters (`profileParameters: { tenant }`) and may override any field; ./resolve.ts turns that into
 * the flat configuration the functions read.
 *
 * Quirks the OAuth client absorbs for every provider (lowercase `bearer`, string `expires_in`, errors with HTTP
 * 200, `refresh_expires_in: 0`) are stated here too, so each profile reads as its provider's documented behaviour
 * and test/providers/profiles.test.ts makes a peer behave that way.
 */
import { OTESSE_DEFAULTS } from '../applications';
import type { ProfileId } from './ids';
import type { ProfileQuirks, ProviderProfile } from './types';

const DAY_SECONDS = 24 * 60 * 60;

/** No quirk: the RFC 6749 behaviour. */
const STANDARD: ProfileQuirks = {
  rotatesRefreshTokens: false,
  refreshTokenOnFirstConsentOnly: false,
  tokenErrorsWithHttp200: false,
  nonStandardTokenType: false,
  expiresInAsString: false,
  omitsExpiresIn: false,
  refreshExpiresInZero: false,
  statesRefreshTokenExpiry: false,
};

/**
 * The seed guide's provider (Otesse): the vault's defaults. JSON revocation body and a `rate_limited` error code.
 * Whether it rotates is not documented, so a returned refresh token is always kept.
 */
export const OTESSE: ProviderProfile = {
  id: 'otesse',
  name: 'Otesse',
  docs: ['docs/contract.md (the Otesse Token Management guide the vault implements; no public documentation)'],
  parameters: {},
  endpoints: { ...OTESSE_DEFAULTS },
  defaultScopes: [],
  requiredScopes: [],
  authorizationParameters: {},
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'json',
  errorCodes: { rate_limited: 'rate_limited' },
  bearerTokenTypes: [],
  quirks: { ...STANDARD, rotatesRefreshTokens: true },
};

/**
 * Keycloak (a realm on your own server). `offline_access` makes the refresh token an offline token that survives
 * the browser session; its answers then say `"refresh_expires_in": 0`, meaning no fixed expiry, while an offline
 * token unused for 30 days (Offline Session Idle) dies. Rotation is on; with "Revoke Refresh Token" a reused one
 * answers `invalid_grant`. RFC 7009 form revocation; RFC 9207 `iss` in authorization responses.
 * @see https://www.keycloak.org/securing-apps/oidc-layers
 * @see https://www.keycloak.org/docs/latest/server_admin/#_offline-access
 */
export const KEYCLOAK: ProviderProfile = {
  id: 'keycloak',
  name: 'Keycloak',
  docs: ['https://www.keycloak.org/securing-apps/oidc-layers', 'https://www.keycloak.org/docs/latest/server_admin/#_offline-access'],
  parameters: {
    baseUrl: { kind: 'base_url', description: 'the Keycloak server URL, e.g. https://sso.example.com (add /auth for Keycloak 16 and older)' },
    realm: { kind: 'path_segment', description: 'the realm name' },
  },
  endpoints: {
    authorizeUrl: '{baseUrl}/realms/{realm}/protocol/openid-connect/auth',
    tokenUrl: '{baseUrl}/realms/{realm}/protocol/openid-connect/token',
    revocationUrl: '{baseUrl}/realms/{realm}/protocol/openid-connect/revoke',
    issuer: '{baseUrl}/realms/{realm}',
  },
  defaultScopes: [],
  requiredScopes: ['offline_access'],
  authorizationParameters: {},
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'form',
  errorCodes: {},
  bearerTokenTypes: [],
  // Every login is a user session of its own, and an offline token belongs to its session.
  quirks: { ...STANDARD, rotatesRefreshTokens: true, reuseGraceSeconds: 0, refreshTokenIdleExpirySeconds: 30 * DAY_SECONDS, refreshExpiresInZero: true, grantPerAuthorization: true },
};

/**
 * Google. A refresh token is issued only with `access_type=offline`, and only on the first consent unless
 * `prompt=consent` asks again: without both, a reconnect gets none and the user loops between an hour of access
 * and "reconnect". Refresh tokens do not rotate and die after six months unused. Revocation takes the token as a
 * form field.
 * @see https://developers.google.com/identity/protocols/oauth2/web-server#offline
 * @see https://developers.google.com/identity/protocols/oauth2#expiration
 * @see https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
 */
export const GOOGLE: ProviderProfile = {
  id: 'google',
  name: 'Google',
  docs: [
    'https://developers.google.com/identity/protocols/oauth2/web-server#offline',
    'https://developers.google.com/identity/protocols/oauth2#expiration',
    'https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke',
  ],
  parameters: {},
  endpoints: {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    revocationUrl: 'https://oauth2.googleapis.com/revoke',
  },
  defaultScopes: ['openid'],
  requiredScopes: [],
  authorizationParameters: { access_type: 'offline', prompt: 'consent' },
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'form',
  errorCodes: {},
  bearerTokenTypes: [],
  // Six months, counted as 180 days (Google states months, not days).
  quirks: { ...STANDARD, rotatesRefreshTokens: false, refreshTokenIdleExpirySeconds: 180 * DAY_SECONDS, refreshTokenOnFirstConsentOnly: true },
};

/**
 * Microsoft Entra ID (identity platform v2.0 endpoints of one tenant). `offline_access` is needed for a refresh
 * token; every refresh returns a new one (the old one is not revoked) valid 90 days from its issue, so a token
 * unused for 90 days dies. The v1 endpoints send `expires_in` as a string. No RFC 7009 revocation: sign-in
 * sessions are revoked through Microsoft Graph (`revokeSignInSessions`), which the vault does not call.
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#the-offline_access-scope
 */
export const MICROSOFT: ProviderProfile = {
  id: 'microsoft',
  name: 'Microsoft Entra ID',
  docs: [
    'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
    'https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens',
    'https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#the-offline_access-scope',
  ],
  parameters: {
    tenant: { kind: 'path_segment', description: 'the tenant: its ID, a domain such as contoso.onmicrosoft.com, or common, organizations, consumers' },
  },
  endpoints: {
    authorizeUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    revocationUrl: 'https://graph.microsoft.com/v1.0/me/revokeSignInSessions',
  },
  defaultScopes: ['openid'],
  requiredScopes: ['offline_access'],
  authorizationParameters: {},
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'none',
  errorCodes: {},
  bearerTokenTypes: [],
  quirks: { ...STANDARD, rotatesRefreshTokens: true, refreshTokenIdleExpirySeconds: 90 * DAY_SECONDS, expiresInAsString: true },
};

/**
 * GitHub Apps with expiring user tokens: 8 h access tokens and a refresh token of 6 months, stated in
 * `refresh_token_expires_in`; each refresh rotates both and the used refresh token stops working at once.
 * `token_type` is lowercase `bearer`; token errors come with HTTP 200 (`bad_verification_code`,
 * `bad_refresh_token`: the user must reconnect, `incorrect_client_credentials`). No RFC 7009 revocation: an
 * authorization is deleted through the REST API with the app's credentials, which the vault does not call.
 * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app
 * @see https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
 * @see https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
 */
export const GITHUB: ProviderProfile = {
  id: 'github',
  name: 'GitHub Apps',
  docs: [
    'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens',
    'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app',
    'https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
  ],
  parameters: {},
  endpoints: {
    authorizeUrl: 'https://github.com/login/oauth/authorize',
    tokenUrl: 'https://github.com/login/oauth/access_token',
    revocationUrl: 'https://api.github.com/applications/{clientId}/grant',
  },
  defaultScopes: [],
  requiredScopes: [],
  authorizationParameters: {},
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'none',
  errorCodes: {
    bad_refresh_token: 'invalid_grant',
    bad_verification_code: 'invalid_grant',
    incorrect_client_credentials: 'invalid_client',
    redirect_uri_mismatch: 'invalid_request',
    unverified_user_email: 'access_denied',
  },
  bearerTokenTypes: [],
  quirks: {
    ...STANDARD,
    rotatesRefreshTokens: true,
    reuseGraceSeconds: 0,
    tokenErrorsWithHttp200: true,
    nonStandardTokenType: true,
    statesRefreshTokenExpiry: true,
  },
};

/**
 * Slack with token rotation on: access tokens live 12 hours, every refresh returns a new refresh token. Scopes
 * are comma-separated; `token_type` is `bot` or `user` (both Bearer tokens); errors come with HTTP 200 and
 * `ok: false`. `auth.revoke` revokes the token that calls it, not a refresh token, so the vault does not call it.
 * The top-level tokens of `oauth.v2.access` are the ones used (bot scopes in `scope`).
 * @see https://docs.slack.dev/authentication/using-token-rotation
 * @see https://docs.slack.dev/reference/methods/oauth.v2.access
 * @see https://docs.slack.dev/reference/methods/auth.revoke
 */
export const SLACK: ProviderProfile = {
  id: 'slack',
  name: 'Slack',
  docs: [
    'https://docs.slack.dev/authentication/using-token-rotation',
    'https://docs.slack.dev/reference/methods/oauth.v2.access',
    'https://docs.slack.dev/reference/methods/auth.revoke',
  ],
  parameters: {},
  endpoints: {
    authorizeUrl: 'https://slack.com/oauth/v2/authorize',
    tokenUrl: 'https://slack.com/api/oauth.v2.access',
    revocationUrl: 'https://slack.com/api/auth.revoke',
  },
  defaultScopes: [],
  requiredScopes: [],
  authorizationParameters: {},
  scopeSeparator: ',',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'none',
  errorCodes: {
    invalid_refresh_token: 'invalid_grant',
    invalid_code: 'invalid_grant',
    code_already_used: 'invalid_grant',
    bad_client_secret: 'invalid_client',
    invalid_client_id: 'invalid_client',
    ratelimited: 'rate_limited',
    internal_error: 'server_error',
    fatal_error: 'server_error',
  },
  bearerTokenTypes: ['bot', 'user'],
  quirks: { ...STANDARD, rotatesRefreshTokens: true, tokenErrorsWithHttp200: true, nonStandardTokenType: true },
};

/**
 * Salesforce (My Domain or login.salesforce.com). Token answers have no `expires_in` (the access token lives as
 * long as the org's session timeout); the `refresh_token` scope is needed for a refresh token, which does not
 * rotate. RFC 7009 form revocation on the same host.
 * @see https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm&type=5
 * @see https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_refresh_token_oauth.htm
 * @see https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm&type=5
 */
export const SALESFORCE: ProviderProfile = {
  id: 'salesforce',
  name: 'Salesforce',
  docs: [
    'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm&type=5',
    'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_refresh_token_oauth.htm',
    'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm&type=5',
  ],
  parameters: {
    instance: {
      kind: 'host',
      description: 'the org host, e.g. mycompany.my.salesforce.com (sandboxes: mycompany--dev.sandbox.my.salesforce.com)',
      default: 'login.salesforce.com',
    },
  },
  endpoints: {
    authorizeUrl: 'https://{instance}/services/oauth2/authorize',
    tokenUrl: 'https://{instance}/services/oauth2/token',
    revocationUrl: 'https://{instance}/services/oauth2/revoke',
  },
  defaultScopes: ['api'],
  requiredScopes: ['refresh_token'],
  authorizationParameters: {},
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'form',
  errorCodes: {},
  bearerTokenTypes: [],
  quirks: { ...STANDARD, rotatesRefreshTokens: false, omitsExpiresIn: true },
};

/**
 * Okta (a custom authorization server, `default` unless named). `offline_access` is needed for a refresh token;
 * with rotation on, a used refresh token keeps working for a grace period (0-60 s, 30 s by default) and a reuse
 * after it revokes the grant. RFC 7009 form revocation.
 * @see https://developer.okta.com/docs/guides/refresh-tokens/refresh-token-rotation/
 * @see https://developer.okta.com/docs/reference/api/oidc/
 */
export const OKTA: ProviderProfile = {
  id: 'okta',
  name: 'Okta',
  docs: ['https://developer.okta.com/docs/guides/refresh-tokens/refresh-token-rotation/', 'https://developer.okta.com/docs/reference/api/oidc/'],
  parameters: {
    domain: { kind: 'host', description: 'the Okta org domain, e.g. example.okta.com' },
    authorizationServerId: { kind: 'path_segment', description: 'the custom authorization server id', default: 'default' },
  },
  endpoints: {
    authorizeUrl: 'https://{domain}/oauth2/{authorizationServerId}/v1/authorize',
    tokenUrl: 'https://{domain}/oauth2/{authorizationServerId}/v1/token',
    revocationUrl: 'https://{domain}/oauth2/{authorizationServerId}/v1/revoke',
  },
  defaultScopes: ['openid'],
  requiredScopes: ['offline_access'],
  authorizationParameters: {},
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'form',
  errorCodes: {},
  bearerTokenTypes: [],
  quirks: { ...STANDARD, rotatesRefreshTokens: true, reuseGraceSeconds: 30 },
};

/**
 * Auth0. `offline_access` (and "Allow Offline Access" on the API) is needed for a refresh token; with rotation
 * on, the previous refresh token may be exchanged again during the reuse interval ("Rotation Overlap Period",
 * 0 unless set: give the tenant's value as `reuseGraceSeconds`), after which a reuse revokes the token family.
 * An API access token needs `audience` (set it in `authorizationParameters`). Revocation takes a JSON body.
 * @see https://auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-rotation
 * @see https://auth0.com/docs/secure/tokens/refresh-tokens/get-refresh-tokens
 * @see https://auth0.com/docs/api/authentication#revoke-refresh-token
 */
export const AUTH0: ProviderProfile = {
  id: 'auth0',
  name: 'Auth0',
  docs: [
    'https://auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-rotation',
    'https://auth0.com/docs/secure/tokens/refresh-tokens/get-refresh-tokens',
    'https://auth0.com/docs/api/authentication#revoke-refresh-token',
  ],
  parameters: {
    domain: { kind: 'host', description: 'the tenant domain, e.g. example.us.auth0.com, or a custom domain' },
  },
  endpoints: {
    authorizeUrl: 'https://{domain}/authorize',
    tokenUrl: 'https://{domain}/oauth/token',
    revocationUrl: 'https://{domain}/oauth/revoke',
  },
  defaultScopes: ['openid'],
  requiredScopes: ['offline_access'],
  authorizationParameters: {},
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'json',
  errorCodes: {},
  bearerTokenTypes: [],
  quirks: { ...STANDARD, rotatesRefreshTokens: true, reuseGraceSeconds: 0 },
};

/** Every profile by id. */
export const PROFILES: Readonly<Record<ProfileId, ProviderProfile>> = {
  otesse: OTESSE,
  keycloak: KEYCLOAK,
  google: GOOGLE,
  microsoft: MICROSOFT,
  github: GITHUB,
  slack: SLACK,
  salesforce: SALESFORCE,
  okta: OKTA,
  auth0: AUTH0,
};
