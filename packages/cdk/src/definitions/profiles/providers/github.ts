import { STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

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
