import { STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

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
