/** The configured applications, each with its OAuth client, built once per container. */
import type { ApplicationConfig } from '../../definitions/applications';
import { OAuthClient } from '../oauth/client';
import type { OAuthClientOptions } from '../oauth/types';
import { MESSAGES, VaultError } from '../errors';

export interface Application {
  readonly config: ApplicationConfig;
  readonly client: OAuthClient;
}

export class ApplicationRegistry {
  private readonly apps = new Map<string, Application>();

  constructor(configs: readonly ApplicationConfig[], clientOptions: OAuthClientOptions = {}) {
    for (const config of configs) {
      const client = new OAuthClient(
        {
          authorizeUrl: config.authorizeUrl,
          tokenUrl: config.tokenUrl,
          revocationUrl: config.revocationUrl,
          clientId: config.clientId,
          redirectUri: config.redirectUri,
          tokenEndpointAuth: config.tokenEndpointAuth,
          revocationBody: config.revocationBody,
          ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
        },
        clientOptions,
      );
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
