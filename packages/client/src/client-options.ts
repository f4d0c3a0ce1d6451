/**
 * The options of {@link TokenVaultClient} and its calls, their defaults, and the environment variables it reads.
 */
import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { FUNCTION_TIMEOUT_SECONDS } from './contract';

/** Environment variables the client reads its function names from (set them with the construct's function names). */
export const CLIENT_ENV = {
  TOKEN_FETCH_FUNCTION: 'TOKEN_VAULT_TOKEN_FETCH_FUNCTION',
  REFRESH_FUNCTION: 'TOKEN_VAULT_REFRESH_FUNCTION',
  STATUS_FUNCTION: 'TOKEN_VAULT_STATUS_FUNCTION',
  COMPLETE_FUNCTION: 'TOKEN_VAULT_COMPLETE_FUNCTION',
  /** `true`: invoke token-fetch and refresh through the application's alias (a caller with a scoped grant). */
  APPLICATION_SCOPED: 'TOKEN_VAULT_APPLICATION_SCOPED',
} as const;

/** The provider API the seed guide describes. */
export const DEFAULT_API_BASE_URL = 'https://api.otesse.com/v1';
export const DEFAULT_APPLICATION_ID = 'default';

/** A little more than the vault's longest function timeout: the vault answers before it, or Lambda does. */
export const DEFAULT_INVOKE_TIMEOUT_MS = Math.max(...Object.values(FUNCTION_TIMEOUT_SECONDS)) * 1000 + 5000;

/**
 * An Invoke that hangs (a stalled connection) must end in an error, not hold the caller until its own Lambda
 * timeout: `throwOnRequestTimeout` makes the request timeout fire; two attempts, since token-fetch, refresh and
 * status are safe to repeat (`complete` is not: it goes through with one attempt, see single-attempt.ts).
 */
export function defaultLambdaClient(invokeTimeoutMs: number, config: LambdaClientConfig = {}): LambdaClient {
  return new LambdaClient({
    ...config,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3000, requestTimeout: invokeTimeoutMs, throwOnRequestTimeout: true },
  });
}

/** Options of {@link TokenVaultClient}. Every option has a default suited to a Lambda function. */
export interface TokenVaultClientOptions {
  /**
   * Lambda client for the Invoke calls. Its retry settings apply to token-fetch, refresh and status; `complete` is
   * sent with one attempt whatever they say (a middleware on that command, inside the SDK's retry middleware). A
   * retry of your own around the client (a custom `requestHandler` that resends) would defeat that: do not add one.
   * @default - a LambdaClient with the function's region and credentials whose requests really time out after
   *   `invokeTimeoutMs` (the SDK's HTTP handler only warns unless told to throw), two attempts per call
   */
  readonly lambda?: LambdaClient;
  /**
   * Longest wait for one Invoke of the vault (a little more than the vault's longest function timeout); used by
   * the default `lambda` client only.
   * @default 65000
   */
  readonly invokeTimeoutMs?: number;
  /**
   * Name or ARN of the `token-fetch` function.
   * @default process.env.TOKEN_VAULT_TOKEN_FETCH_FUNCTION, else 'token-fetch'
   */
  readonly tokenFetchFunction?: string;
  /**
   * Name or ARN of the `refresh` function.
   * @default process.env.TOKEN_VAULT_REFRESH_FUNCTION, else 'refresh'
   */
  readonly refreshFunction?: string;
  /**
   * Name or ARN of the `status` function.
   * @default process.env.TOKEN_VAULT_STATUS_FUNCTION, else 'status'
   */
  readonly statusFunction?: string;
  /**
   * Name or ARN of the `complete` function (session binding: the backend of the `returnTo` page calls it).
   * @default process.env.TOKEN_VAULT_COMPLETE_FUNCTION, else 'complete'
   */
  readonly completeFunction?: string;
  /**
   * The caller's role was granted per application (`vault.grantFetch(fn, { applications: [...] })`): token-fetch and
   * refresh are invoked through the application's alias (`Qualifier: app-<applicationId>`), the only ARNs its grant
   * allows.
   * @default process.env.TOKEN_VAULT_APPLICATION_SCOPED === 'true'
   */
  readonly applicationScoped?: boolean;
  /** Application used when a call names none. @default 'default' */
  readonly applicationId?: string;
  /** Base URL of the provider's API; {@link TokenVaultClient.apiRequest} appends paths to it. @default 'https://api.otesse.com/v1' */
  readonly apiBaseUrl?: string;
  /** `fetch` for API requests. @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** Clock in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Waits between rate-limited attempts. @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random number in [0, 1) for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /**
   * The validity (seconds) {@link TokenVaultClient.getAccessToken} and `apiRequest` ask for when the call names
   * none: a cached token with less left is not served, and `token-fetch` is asked for this much. Lower it only for
   * a provider whose access tokens live less than a few minutes.
   * @default 60 (the vault's default)
   */
  readonly minValiditySeconds?: number;
  /**
   * A cached token is never served within this many seconds of its `expiresAt`, whatever the validity asked for
   * (room for this container's clock against the vault's and the provider's).
   * @default 30
   */
  readonly expirySkewSeconds?: number;
  /** Most attempts of one API request while it is rate limited (first attempt included). @default 3 */
  readonly maxRateLimitAttempts?: number;
  /** Backoff base: the first retry waits up to this long (without `Retry-After`). @default 200 */
  readonly backoffBaseMs?: number;
  /** Backoff ceiling. @default 5000 */
  readonly backoffMaxMs?: number;
  /** A `Retry-After` longer than this is not waited for: the call fails with `RateLimitedError` at once. @default 30 */
  readonly maxRetryAfterSeconds?: number;
  /** Most (user, application) tokens kept in memory. @default 1000 */
  readonly maxCachedTokens?: number;
}

/** Options of {@link TokenVaultClient.getAccessToken}. */
export interface GetAccessTokenOptions {
  /** Application of the token. @default the client's applicationId */
  readonly applicationId?: string;
  /**
   * The token must stay valid this long: a cached token with less left (or within `expirySkewSeconds` of its
   * expiry) is not served, and `token-fetch` is asked for this much.
   * @default the client's `minValiditySeconds` (60, the vault's default)
   */
  readonly minValiditySeconds?: number;
}

/** Options of {@link TokenVaultClient.refreshAccessToken}. */
export interface RefreshAccessTokenOptions {
  /** Application of the token. @default the client's applicationId */
  readonly applicationId?: string;
  /** The token the API rejected; the vault refreshes only when it still stores this one. */
  readonly rejectedAccessToken?: string;
}
