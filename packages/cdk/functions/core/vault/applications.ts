/** The configured applications, each with its OAuth client, built once per container. */
import type { ApplicationConfig } from '../../../src/definitions/applications';
import { OAuthClient } from '../oauth/client';
import type { OAuthClientOptions, ProviderSettings } from '../oauth/types';
import { MESSAGES, VaultError } from '../errors';

export interface Application {
  readonly config: ApplicationConfig;
  readonly client: OAuthClient;
}

export class ApplicationRegistry {
  private readonly apps = new Map<string, Application>();

  /**
   * @param configs the configured applications
   * @param clientOptions the options of every application's OAuth client; by default none
   *   (see {@link OAuthClientOptions})
   */
  constructor(configs: readonly ApplicationConfig[], clientOptions: OAuthClientOptions = {}) {
    for (const config of configs) {
      const { onWarning } = clientOptions;
      const client = new OAuthClient(providerSettings(config), {
        ...clientOptions,
        // Warnings name the application: one container serves several providers.
        ...(onWarning === undefined
          ? {}
          : { onWarning: (message: string) => onWarning(`Application ${config.applicationId}: ${message}`) }),
      });
      this.apps.set(config.applicationId, { config, client });
    }
  }

  /** The application, or `invalid_request` before anything is read or written. */
  require(applicationId: string): Application {
    const app = this.apps.get(applicationId);
    if (!app) throw new VaultError('invalid_request', MESSAGES.unknownApplication);
    return app;
  }

  has(applicationId: string): boolean {
    return this.apps.has(applicationId);
  }

  ids(): string[] {
    return [...this.apps.keys()];
  }
}

/** What the OAuth client needs from an application's configuration (absent optional fields stay absent). */
export function providerSettings(config: ApplicationConfig): ProviderSettings {
  return {
    authorizeUrl: config.authorizeUrl,
    tokenUrl: config.tokenUrl,
    revocationUrl: config.revocationUrl,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    tokenEndpointAuth: config.tokenEndpointAuth,
    revocationBody: config.revocationBody,
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.authorizationParameters === undefined
      ? {}
      : { authorizationParameters: config.authorizationParameters }),
    ...(config.resource === undefined ? {} : { resource: config.resource }),
    ...(config.scopeSeparator === undefined ? {} : { scopeSeparator: config.scopeSeparator }),
    ...(config.requiredScopes === undefined ? {} : { requiredScopes: config.requiredScopes }),
    ...(config.errorCodes === undefined ? {} : { errorCodes: config.errorCodes }),
    ...(config.bearerTokenTypes === undefined ? {} : { bearerTokenTypes: config.bearerTokenTypes }),
  };
}
