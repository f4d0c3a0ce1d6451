/**
 * Client secrets from Secrets Manager, through Powertools Parameters (in-memory cache with a max age). Re-read
 * once, bypassing the cache, when the provider answers `invalid_client` (the secret may have been rotated).
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface ClientSecretLoaderOptions {
  readonly client: SecretsManagerClient;
  /** How long a secret is served from memory. @default 300 seconds */
  readonly maxAgeSeconds?: number;
}

export class ClientSecretError extends Error {
  override readonly name = 'ClientSecretError';
}

export class ClientSecretLoader {
  private readonly provider: SecretsProvider;
  private readonly maxAge: number;

  constructor(options: ClientSecretLoaderOptions) {
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client });
    this.maxAge = options.maxAgeSeconds ?? 300;
  }

  /** The client secret stored under `secretId`; `fresh` skips the cache. */
  async get(secretId: string, options: { fresh?: boolean } = {}): Promise<string> {
    let value: unknown;
    try {
      value = await this.provider.get(secretId, { maxAge: this.maxAge, forceFetch: options.fresh ?? false });
    } catch (error) {
      // Only the error's name: never the secret id's content or the SDK message.
      const name = error instanceof Error && error.cause instanceof Error ? error.cause.name : error instanceof Error ? error.name : 'UnknownError';
      throw new ClientSecretError(`Secrets Manager could not provide the client secret (${name}).`, { cause: { name } });
    }
    if (typeof value !== 'string' || value.length === 0) throw new ClientSecretError('The client secret is empty or not a string; put it with put-secret-value.');
    return value;
  }
}
