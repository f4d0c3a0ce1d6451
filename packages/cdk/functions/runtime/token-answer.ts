/** The token answer of token-fetch and refresh. Never includes a refresh token. */
import type { IssuedToken } from '../core/refresh/coordinator-options';

export function tokenAnswer(token: IssuedToken): {
  accessToken: string;
  tokenType: string;
  expiresAt: string;
  scope: string;
} {
  return {
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    expiresAt: new Date(token.expiresAt).toISOString(),
    scope: token.scope,
  };
}
