import { DAY_SECONDS, STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

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
    tenant: {
      kind: 'path_segment',
      description: 'the tenant: its ID, a domain such as contoso.onmicrosoft.com, or common, organizations, consumers',
    },
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
  quirks: {
    ...STANDARD,
    rotatesRefreshTokens: true,
    refreshTokenIdleExpirySeconds: 90 * DAY_SECONDS,
    expiresInAsString: true,
  },
};
