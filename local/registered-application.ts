/**
 * The vault's configuration of an application whose client is registered at a local authorization server (the
 * development provider in ./dev-application, a Keycloak realm in ./keycloak/application): both speak RFC 7009's
 * form revocation body and send `iss` (RFC 9207), so only the endpoints, the client and the default scopes differ.
 */
import type { ApplicationConfigInput } from '@token-vault/cdk/src/definitions/applications';

/** Where the server answers; its issuer is checked in authorization responses. */
export interface RegisteredServerEndpoints {
  readonly issuer: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
}

/** The client as registered at the server. */
export interface RegisteredClient {
  readonly clientId: string;
  /** Secrets Manager id of the secret holding the client secret. */
  readonly clientSecretId: string;
  readonly redirectUri: string;
  readonly returnTo: readonly string[];
  readonly scopes?: readonly string[];
  /** @default 'client_secret_post' */
  readonly tokenEndpointAuth?: 'client_secret_post' | 'client_secret_basic';
}

/** The application `applicationId` for `client` at the server of `endpoints`; `defaultScopes` unless it names some. */
export function registeredApplication(
  applicationId: string,
  endpoints: RegisteredServerEndpoints,
  client: RegisteredClient,
  defaultScopes: readonly string[],
): ApplicationConfigInput {
  return {
    applicationId,
    authorizeUrl: endpoints.authorizeUrl,
    tokenUrl: endpoints.tokenUrl,
    revocationUrl: endpoints.revocationUrl,
    issuer: endpoints.issuer,
    clientId: client.clientId,
    clientSecretId: client.clientSecretId,
    scopes: [...(client.scopes ?? defaultScopes)],
    tokenEndpointAuth: client.tokenEndpointAuth ?? 'client_secret_post',
    revocationBody: 'form',
    redirectUri: client.redirectUri,
    returnTo: [...client.returnTo],
  };
}
