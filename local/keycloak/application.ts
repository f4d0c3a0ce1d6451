/**
 * The vault's application configuration for a client registered in a Keycloak realm (see ./admin), the
 * counterpart of `devProviderApplication` (local/dev-application.ts) for the development provider.
 */
import type { ApplicationConfigInput } from '@token-vault/cdk/src/definitions/applications';
import { registeredApplication, type RegisteredClient } from '../registered-application';
import type { RealmEndpoints } from './realm';

export interface KeycloakClientSettings extends RegisteredClient {
  readonly applicationId: string;
  /**
   * Default `openid offline_access`: an offline token outlives the SSO session, which a vault that refreshes
   * for weeks needs. Keycloak then answers `"refresh_expires_in": 0` ("no fixed expiry").
   */
  readonly scopes?: readonly string[];
  /** Keycloak's client-secret authenticator takes both (default client_secret_post). */
  readonly tokenEndpointAuth?: 'client_secret_post' | 'client_secret_basic';
}

/**
 * An application whose endpoints are the realm's OIDC endpoints, with the realm as issuer (Keycloak sends `iss`
 * in authorization responses, RFC 9207) and RFC 7009 form revocation.
 */
export function keycloakApplication(endpoints: RealmEndpoints, client: KeycloakClientSettings): ApplicationConfigInput {
  return registeredApplication(client.applicationId, endpoints, client, ['openid', 'offline_access']);
}
