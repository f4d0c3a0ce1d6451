import { STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

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
