/**
 * The provider profiles: configuration presets for the providers teams connect, each value taken from the
 * provider's documentation (linked with `@see` and in `docs`). An application names one (`profile: 'google'`),
 * gives its parameters (`profileParameters: { tenant }`) and may override any field; ./resolve.ts turns that into
 * the flat configuration the functions read.
 *
 * Quirks the OAuth client absorbs for every provider (lowercase `bearer`, string `expires_in`, errors with HTTP
 * 200, `refresh_expires_in: 0`) are stated here too, so each profile reads as its provider's documented behaviour
 * and test/providers/profiles.test.ts makes a peer behave that way.
 */
import type { ProfileId } from './ids';
import { OTESSE } from './providers/otesse';
import { KEYCLOAK } from './providers/keycloak';
import { GOOGLE } from './providers/google';
import { MICROSOFT } from './providers/microsoft';
import { GITHUB } from './providers/github';
import { SLACK } from './providers/slack';
import { SALESFORCE } from './providers/salesforce';
import { OKTA } from './providers/okta';
import { AUTH0 } from './providers/auth0';
import type { ProviderProfile } from './types';

export { OTESSE, KEYCLOAK, GOOGLE, MICROSOFT, GITHUB, SLACK, SALESFORCE, OKTA, AUTH0 };

/** Every profile by id. */
export const PROFILES: Readonly<Record<ProfileId, ProviderProfile>> = {
  otesse: OTESSE,
  keycloak: KEYCLOAK,
  google: GOOGLE,
  microsoft: MICROSOFT,
  github: GITHUB,
  slack: SLACK,
  salesforce: SALESFORCE,
  okta: OKTA,
  auth0: AUTH0,
};
