import { DAY_SECONDS, STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

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
  docs: [
    'https://www.keycloak.org/securing-apps/oidc-layers',
    'https://www.keycloak.org/docs/latest/server_admin/#_offline-access',
  ],
  parameters: {
    baseUrl: {
      kind: 'base_url',
      description: 'the Keycloak server URL, e.g. https://sso.example.com (add /auth for Keycloak 16 and older)',
    },
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
  quirks: {
    ...STANDARD,
    rotatesRefreshTokens: true,
    reuseGraceSeconds: 0,
    refreshTokenIdleExpirySeconds: 30 * DAY_SECONDS,
    refreshExpiresInZero: true,
    grantPerAuthorization: true,
  },
};
