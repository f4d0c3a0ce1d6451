/** Ids of the provider profiles (src/definitions/profiles/catalogue.ts, one file per provider in providers/); kept apart so the schema can name them. */
export const PROFILE_IDS = [
  'otesse',
  'keycloak',
  'google',
  'microsoft',
  'github',
  'slack',
  'salesforce',
  'okta',
  'auth0',
] as const;

/** A provider profile's id, as an application names it (`profile: 'google'`). */
export type ProfileId = (typeof PROFILE_IDS)[number];
