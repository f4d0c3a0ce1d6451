import { OTESSE_DEFAULTS } from '../../applications';
import { STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

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
