import { STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

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
  docs: [
    'https://developer.okta.com/docs/guides/refresh-tokens/refresh-token-rotation/',
    'https://developer.okta.com/docs/reference/api/oidc/',
  ],
  parameters: {
    domain: { kind: 'host', description: 'the Okta org domain, e.g. example.okta.com' },
    authorizationServerId: {
      kind: 'path_segment',
      description: 'the custom authorization server id',
      default: 'default',
    },
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
