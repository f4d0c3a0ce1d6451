/** The refresh core's view of the providers, over the application registry and the client secrets. */
import type { ProviderCallOptions, ProviderGateway } from '../refresh/provider-gateway';
import type { ClientSecretLoader } from '../secrets/client-secret-loader';
import type { Deadline } from '../time/deadline';
import type { ApplicationRegistry } from './applications';

export class RegistryProviderGateway implements ProviderGateway {
  constructor(
    private readonly applications: ApplicationRegistry,
    private readonly secrets: ClientSecretLoader,
  ) {}

  clientSecret(applicationId: string, deadline: Deadline, fresh = false): Promise<string> {
    return this.secrets.get(this.applications.require(applicationId).config.clientSecretId, deadline, { fresh });
  }

  refresh(applicationId: string, refreshToken: string, clientSecret: string, options: ProviderCallOptions) {
    return this.applications.require(applicationId).client.refresh(refreshToken, clientSecret, options);
  }

  revokesReplacedRefreshTokens(applicationId: string): boolean {
    return this.applications.require(applicationId).config.revokeReplacedRefreshTokens ?? false;
  }

  revoke(
    applicationId: string,
    refreshToken: string,
    clientSecret: string,
    options: ProviderCallOptions,
  ): Promise<void> {
    return this.applications.require(applicationId).client.revokeRefreshToken(refreshToken, clientSecret, options);
  }
}
