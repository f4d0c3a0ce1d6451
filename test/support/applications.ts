/**
 * An application's configuration as the functions hold it (parsed, defaults applied), for the tests that build an
 * ApplicationRegistry without a provider behind it: the endpoints are never called.
 */
import type { ApplicationConfig } from '@token-vault/cdk/src/definitions/applications';

export function testApplicationConfig(
  applicationId: string,
  extra: Partial<ApplicationConfig> = {},
): ApplicationConfig {
  return {
    applicationId,
    authorizeUrl: 'https://provider.example.test/authorize',
    tokenUrl: 'https://provider.example.test/token',
    revocationUrl: 'https://provider.example.test/revoke',
    clientId: `client-${applicationId}`,
    clientSecretId: `secret-${applicationId}`,
    scopes: ['read'],
    tokenEndpointAuth: 'client_secret_post',
    revocationBody: 'json',
    redirectUri: 'https://vault.example.test/oauth/callback',
    returnTo: [],
    ...extra,
  };
}
