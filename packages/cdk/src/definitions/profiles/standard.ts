/** What every profile starts from. */
import type { ProfileQuirks } from './types';

/** One day, in seconds: refresh-token lifetimes are stated in days. */
export const DAY_SECONDS = 24 * 60 * 60;

/** No quirk: the RFC 6749 behaviour. */
export const STANDARD: ProfileQuirks = {
  rotatesRefreshTokens: false,
  refreshTokenOnFirstConsentOnly: false,
  tokenErrorsWithHttp200: false,
  nonStandardTokenType: false,
  expiresInAsString: false,
  omitsExpiresIn: false,
  refreshExpiresInZero: false,
  statesRefreshTokenExpiry: false,
};
