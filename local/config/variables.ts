/**
 * The `OAUTH_*` variables the local stack's configuration is read from, which of them name a provider, and
 * which field of an application each one feeds (so that every error message can name the variable).
 */

/** The environment variables read here. */
export const OAUTH_ENV = {
  AUTHORIZE_URL: 'OAUTH_AUTHORIZE_URL',
  TOKEN_URL: 'OAUTH_TOKEN_URL',
  REVOCATION_URL: 'OAUTH_REVOCATION_URL',
  ISSUER: 'OAUTH_ISSUER',
  CLIENT_ID: 'OAUTH_CLIENT_ID',
  CLIENT_SECRET: 'OAUTH_CLIENT_SECRET',
  /** Space-separated. */
  SCOPES: 'OAUTH_SCOPES',
  /** `client_secret_post` (default) or `client_secret_basic`. */
  TOKEN_AUTH: 'OAUTH_TOKEN_AUTH',
  /** `json` (default for an external provider) or `form`. */
  REVOCATION_BODY: 'OAUTH_REVOCATION_BODY',
  /** Comma-separated `returnTo` allow-list. */
  RETURN_TO: 'OAUTH_RETURN_TO',
  /** Default `http://127.0.0.1:$PORT/oauth/callback`; sent to the provider exactly as given. */
  REDIRECT_URI: 'OAUTH_REDIRECT_URI',
  /** A provider profile id (`google`, `keycloak`, ...); its endpoints make the three URL variables optional. */
  PROFILE: 'OAUTH_PROFILE',
  /** The profile's template parameters, comma-separated `name=value` pairs (`baseUrl=https://sso.example.com,realm=acme`). */
  PROFILE_PARAMETERS: 'OAUTH_PROFILE_PARAMETERS',
  /** Extra authorization request parameters, comma-separated `name=value` pairs (`prompt=consent,audience=api`). */
  AUTHORIZATION_PARAMETERS: 'OAUTH_AUTHORIZATION_PARAMETERS',
  /** RFC 8707 resource indicators, comma-separated. */
  RESOURCE: 'OAUTH_RESOURCE',
} as const;

export type OAuthEnvName = (typeof OAUTH_ENV)[keyof typeof OAUTH_ENV];

/**
 * Variables that name a provider. Any of them set means "use that provider", and then every one in
 * {@link REQUIRED_FOR_EXTERNAL} must be set too.
 */
export const PROVIDER_VARIABLES: readonly OAuthEnvName[] = [
  OAUTH_ENV.AUTHORIZE_URL,
  OAUTH_ENV.TOKEN_URL,
  OAUTH_ENV.REVOCATION_URL,
  OAUTH_ENV.ISSUER,
  OAUTH_ENV.CLIENT_ID,
  OAUTH_ENV.CLIENT_SECRET,
  OAUTH_ENV.PROFILE,
  OAUTH_ENV.PROFILE_PARAMETERS,
];

export const REQUIRED_FOR_EXTERNAL: readonly OAuthEnvName[] = [
  OAUTH_ENV.AUTHORIZE_URL,
  OAUTH_ENV.TOKEN_URL,
  OAUTH_ENV.REVOCATION_URL,
  OAUTH_ENV.CLIENT_ID,
  OAUTH_ENV.CLIENT_SECRET,
];

/** With a profile, the endpoints come from it. */
export const REQUIRED_WITH_PROFILE: readonly OAuthEnvName[] = [OAUTH_ENV.CLIENT_ID, OAUTH_ENV.CLIENT_SECRET];

/** Which variable feeds each field (for error messages). */
export const FIELD_VARIABLE: Readonly<Record<string, string>> = {
  authorizeUrl: OAUTH_ENV.AUTHORIZE_URL,
  tokenUrl: OAUTH_ENV.TOKEN_URL,
  revocationUrl: OAUTH_ENV.REVOCATION_URL,
  issuer: OAUTH_ENV.ISSUER,
  clientId: OAUTH_ENV.CLIENT_ID,
  scopes: OAUTH_ENV.SCOPES,
  tokenEndpointAuth: OAUTH_ENV.TOKEN_AUTH,
  revocationBody: OAUTH_ENV.REVOCATION_BODY,
  redirectUri: `${OAUTH_ENV.REDIRECT_URI} (or PORT)`,
  returnTo: OAUTH_ENV.RETURN_TO,
  profile: OAUTH_ENV.PROFILE,
  authorizationParameters: OAUTH_ENV.AUTHORIZATION_PARAMETERS,
  resource: OAUTH_ENV.RESOURCE,
};

/** Thrown for an unusable `OAUTH_*` configuration; the message names the variable and never quotes a secret. */
export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError';
}
