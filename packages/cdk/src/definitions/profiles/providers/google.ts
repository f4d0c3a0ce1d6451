import { DAY_SECONDS, STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

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
  quirks: {
    ...STANDARD,
    rotatesRefreshTokens: false,
    refreshTokenIdleExpirySeconds: 180 * DAY_SECONDS,
    refreshTokenOnFirstConsentOnly: true,
  },
};
