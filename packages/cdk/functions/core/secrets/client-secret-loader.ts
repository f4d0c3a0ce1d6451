/**
 * Client secrets from Secrets Manager, through Powertools Parameters (in-memory cache with a max age). Re-read
 * once, bypassing the cache, when the provider answers `invalid_client` (the secret may have been rotated).
 * A read never outlives the caller's deadline nor its call budget: the SDK's own timeouts bound the request, and
 * the caller stops waiting at whichever comes first.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CoreError } from '../base-error';
import type { Deadline } from '../time/deadline';

/** Where client secrets are read, and how long they are kept. */
export interface ClientSecretLoaderOptions {
  /** The Secrets Manager client. */
  readonly client: SecretsManagerClient;
  /**
   * How long a secret is served from memory.
   * @default 300
   */
  readonly maxAgeSeconds?: number;
  /**
   * Longest one read may take, the SDK's retries and their backoff included (the other AWS calls' budget).
   * @default - until the caller's deadline
   */
  readonly callTimeoutMs?: number;
}

/** `unavailable`: Secrets Manager failed or did not answer in time; `invalid`: the stored value is unusable. */
export type ClientSecretFailure = 'unavailable' | 'invalid';

export class ClientSecretError extends CoreError<ClientSecretFailure> {
  override readonly name = 'ClientSecretError';
}

export class ClientSecretLoader {
  private readonly provider: SecretsProvider;
  private readonly maxAge: number;
  private readonly callTimeoutMs: number | undefined;

  constructor(options: ClientSecretLoaderOptions) {
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client });
    this.maxAge = options.maxAgeSeconds ?? 300;
    this.callTimeoutMs = options.callTimeoutMs;
  }

  /** The client secret stored under `secretId`; `fresh` skips the cache. */
  async get(secretId: string, deadline: Deadline, options: { fresh?: boolean } = {}): Promise<string> {
    let value: unknown;
    try {
      value = await untilDeadline(
        this.provider.get(secretId, { maxAge: this.maxAge, forceFetch: options.fresh ?? false }),
        this.callTimeoutMs === undefined ? deadline : deadline.within(this.callTimeoutMs),
      );
    } catch (error) {
      // Only the error's name: never the secret id's content or the SDK message.
      const name =
        error instanceof Error && error.cause instanceof Error
          ? error.cause.name
          : error instanceof Error
            ? error.name
            : 'UnknownError';
      throw new ClientSecretError('unavailable', `Secrets Manager could not provide the client secret (${name}).`, {
        cause: { name },
      });
    }
    if (typeof value !== 'string' || value.length === 0)
      throw new ClientSecretError(
        'invalid',
        'The client secret is empty or not a string; put it with put-secret-value.',
      );
    return value;
  }
}

/** Settles with `work`, or rejects with a TimeoutError at the deadline (the request itself ends by its SDK timeout). */
function untilDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T> {
  const signal = deadline.signal();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      const error = new Error('Secrets Manager did not answer before the deadline.');
      error.name = 'TimeoutError';
      reject(error);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
