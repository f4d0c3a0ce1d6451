/**
 * {@link TokenVaultClient}: what another Lambda uses to get a user's access token from the vault (`token-fetch`
 * and `refresh` through the Lambda Invoke API) and to call the provider's API with it.
 */
import { InvokeCommand, LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import {
  ERROR_CODES,
  FUNCTION_NAMES,
  FUNCTION_TIMEOUT_SECONDS,
  type Answer,
  type CompleteAnswer,
  type CompleteRequest,
  type ConnectionStatus,
  type ErrorAnswer,
  type RefreshRequest,
  type StatusRequest,
  type TokenAnswer,
  type TokenFetchRequest,
} from './contract';
import { runApiRequest, type ApiRequestInit } from './api-request';
import { applicationAlias } from './application-alias';
import { errorFromAnswer, VaultInternalError } from './errors';
import { cacheKey, TokenCache } from './token-cache';

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
const DEFAULT_APPLICATION_ID = 'default';

/** A little more than the vault's longest function timeout: the vault answers before it, or Lambda does. */
const DEFAULT_INVOKE_TIMEOUT_MS = Math.max(...Object.values(FUNCTION_TIMEOUT_SECONDS)) * 1000 + 5000;

/**
 * An Invoke that hangs (a stalled connection) must end in an error, not hold the caller until its own Lambda
 * timeout: `throwOnRequestTimeout` makes the request timeout fire; two attempts, since token-fetch and refresh are
 * safe to repeat.
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
   * Lambda client for the Invoke calls.
   * @default - a LambdaClient with the function's region and credentials whose requests really time out after
   *   `invokeTimeoutMs` (the SDK's HTTP handler only warns unless told to throw)
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
  /** A cached token is used only until this many seconds before its `expiresAt`. @default 30 */
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
   * The token must stay valid this long (passed to `token-fetch`, and cached tokens closer to expiry are not used).
   * @default the vault's default (60 s)
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

/**
 * Client of the vault for other Lambdas. Create one per container (at module scope) so its in-memory token cache
 * serves many invocations. Tokens are kept in memory only, never logged, and never put into error messages.
 *
 * @example
 * const vault = new TokenVaultClient();
 * const res = await vault.apiRequest('user-42', '/me');
 */
export class TokenVaultClient {
  readonly #lambda: LambdaClient;
  readonly #tokenFetchFunction: string;
  readonly #refreshFunction: string;
  readonly #statusFunction: string;
  readonly #completeFunction: string;
  readonly #applicationScoped: boolean;
  readonly #applicationId: string;
  readonly #cache: TokenCache;
  readonly #apiDeps: Parameters<typeof runApiRequest>[0];

  constructor(options: TokenVaultClientOptions = {}) {
    this.#lambda = options.lambda ?? defaultLambdaClient(options.invokeTimeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS);
    this.#tokenFetchFunction =
      options.tokenFetchFunction || process.env[CLIENT_ENV.TOKEN_FETCH_FUNCTION] || FUNCTION_NAMES.tokenFetch;
    this.#refreshFunction =
      options.refreshFunction || process.env[CLIENT_ENV.REFRESH_FUNCTION] || FUNCTION_NAMES.refresh;
    this.#statusFunction = options.statusFunction || process.env[CLIENT_ENV.STATUS_FUNCTION] || FUNCTION_NAMES.status;
    this.#completeFunction =
      options.completeFunction || process.env[CLIENT_ENV.COMPLETE_FUNCTION] || FUNCTION_NAMES.complete;
    this.#applicationScoped = options.applicationScoped ?? process.env[CLIENT_ENV.APPLICATION_SCOPED] === 'true';
    this.#applicationId = options.applicationId ?? DEFAULT_APPLICATION_ID;
    const now = options.now ?? Date.now;
    this.#cache = new TokenCache({
      now,
      skewMs: (options.expirySkewSeconds ?? 30) * 1000,
      ...(options.maxCachedTokens === undefined ? {} : { maxEntries: options.maxCachedTokens }),
    });
    const maxRateLimitAttempts = options.maxRateLimitAttempts ?? 3;
    if (!Number.isInteger(maxRateLimitAttempts) || maxRateLimitAttempts < 1)
      throw new RangeError('maxRateLimitAttempts must be an integer >= 1');
    this.#apiDeps = {
      apiBaseUrl: options.apiBaseUrl ?? DEFAULT_API_BASE_URL,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
      now,
      maxRateLimitAttempts,
      backoffBaseMs: options.backoffBaseMs ?? 200,
      backoffMaxMs: options.backoffMaxMs ?? 5000,
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 30,
      getAccessToken: (userId, applicationId) =>
        this.getAccessToken(userId, applicationId === undefined ? {} : { applicationId }),
      refreshAccessToken: (userId, applicationId, rejectedAccessToken) =>
        this.refreshAccessToken(userId, {
          rejectedAccessToken,
          ...(applicationId === undefined ? {} : { applicationId }),
        }),
    };
  }

  /**
   * An access token for the user, from the in-memory cache while it stays valid for more than `expirySkewSeconds`
   * (and `minValiditySeconds`), else from `token-fetch`. Concurrent calls for the same (user, application) share
   * one invoke.
   *
   * @throws NotConnectedError, ReauthorizationRequiredError, RateLimitedError, ProviderUnavailableError,
   *   InvalidRequestError or VaultInternalError (all {@link TokenVaultError}s) for the vault's error answers and
   *   failed invocations
   */
  async getAccessToken(userId: string, options: GetAccessTokenOptions = {}): Promise<TokenAnswer> {
    const applicationId = options.applicationId ?? this.#applicationId;
    const request: TokenFetchRequest = {
      userId,
      applicationId,
      ...(options.minValiditySeconds === undefined ? {} : { minValiditySeconds: options.minValiditySeconds }),
    };
    return this.#cache.getOrLoad(
      cacheKey(userId, applicationId),
      () => this.#invoke(this.#tokenFetchFunction, request),
      (options.minValiditySeconds ?? 0) * 1000,
    );
  }

  /**
   * Asks the vault for a new access token (`refresh`), replacing the cached one. Pass the token the API rejected:
   * the vault then refreshes only if no one else did meanwhile, and concurrent calls for one (user, application)
   * share one invoke.
   *
   * @throws the same errors as {@link getAccessToken}
   */
  async refreshAccessToken(userId: string, options: RefreshAccessTokenOptions = {}): Promise<TokenAnswer> {
    const applicationId = options.applicationId ?? this.#applicationId;
    const request: RefreshRequest = {
      userId,
      applicationId,
      ...(options.rejectedAccessToken === undefined ? {} : { rejectedAccessToken: options.rejectedAccessToken }),
    };
    return this.#cache.replace(cacheKey(userId, applicationId), options.rejectedAccessToken, () =>
      this.#invoke(this.#refreshFunction, request),
    );
  }

  /**
   * Session binding: activates the flow the callback parked. Call it from the backend of your `returnTo` page with
   * the `flow` parameter of the redirect (`status=pending&flow=...`) and the user of your own logged-in session,
   * never for an anonymous visitor. Only the user who called `connect` gets the connection; for anyone else the
   * vault refuses (`InvalidRequestError`) and revokes the grant at the provider.
   *
   * @throws InvalidRequestError for an unknown, used, expired or foreign handle (start again with `connect`), and
   *   the other errors of {@link getAccessToken}
   */
  async completeConnection(flowHandle: string, userId: string): Promise<CompleteAnswer> {
    const request: CompleteRequest = { flowHandle, userId };
    return this.#invokeFor(this.#completeFunction, request, completeAnswerOf);
  }

  /**
   * Calls the provider's API at `apiBaseUrl` + `endpoint` (a path) with the user's token as
   * `Authorization: Bearer`, and answers its `Response` (any status not handled below, including a second 401).
   *
   * - 401 with `WWW-Authenticate: Bearer error="invalid_token"` or without a Bearer error: asks `refresh` for a
   *   new token (with `rejectedAccessToken`) and retries once.
   * - 403 with `error="insufficient_scope"`: throws {@link InsufficientScopeError}; no refresh.
   * - 429 (or a vault `rate_limited`): waits (full jitter, at least `Retry-After`) and tries again, up to
   *   `maxRateLimitAttempts` attempts; then throws {@link RateLimitedError}.
   *
   * The request may be sent more than once, so `init.body` must be replayable (a string, buffer, `URLSearchParams`
   * or `FormData`, not a stream).
   *
   * @throws ReauthorizationRequiredError when the user has to connect again (show a "reconnect" prompt), and the
   *   other errors of {@link getAccessToken}; errors of `fetch` itself pass through
   */
  apiRequest(userId: string, endpoint: string, init: ApiRequestInit = {}): Promise<Response> {
    return runApiRequest(this.#apiDeps, userId, endpoint, init);
  }

  /**
   * The user's connections (of every application, or of `options.applicationId`): status, scope, expiries,
   * re-authorization reason. Never a token; not cached.
   *
   * @throws InvalidRequestError for an unknown application, VaultInternalError for a failed invocation
   */
  async status(userId: string, options: { applicationId?: string } = {}): Promise<ConnectionStatus[]> {
    const request: StatusRequest = {
      userId,
      ...(options.applicationId === undefined ? {} : { applicationId: options.applicationId }),
    };
    // A scoped caller reaches status through the application's alias, and sees that application only.
    const qualifier = this.#applicationScoped
      ? applicationAlias(options.applicationId ?? this.#applicationId)
      : undefined;
    const answer = await this.#invokeFor(
      this.#statusFunction,
      request,
      (v) =>
        Array.isArray(v.connections)
          ? { ok: true as const, connections: v.connections as ConnectionStatus[] }
          : undefined,
      qualifier,
    );
    return answer.connections;
  }

  /** Forgets the cached token of one user (all applications when `applicationId` is absent: the whole cache). */
  forget(userId?: string, applicationId?: string): void {
    if (userId === undefined) this.#cache.clear();
    else this.#cache.invalidate(cacheKey(userId, applicationId ?? this.#applicationId));
  }

  #invoke(functionName: string, request: TokenFetchRequest | RefreshRequest): Promise<TokenAnswer> {
    const qualifier = this.#applicationScoped
      ? applicationAlias(request.applicationId ?? this.#applicationId)
      : undefined;
    return this.#invokeFor(functionName, request, tokenAnswerOf, qualifier);
  }

  async #invokeFor<T extends { ok: true }>(
    functionName: string,
    request: object,
    okShape: (v: Record<string, unknown>) => T | undefined,
    qualifier?: string,
  ): Promise<T> {
    let output;
    try {
      output = await this.#lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
          Payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
      );
    } catch (err) {
      const name = err instanceof Error ? err.name : 'Error';
      throw new VaultInternalError(`invoking ${functionName} failed (${name})`, { cause: err });
    }
    if (output.FunctionError) {
      // An unhandled error in the function (crash, timeout): its payload is an error report, not an answer.
      throw new VaultInternalError(`${functionName} failed (${output.FunctionError})`);
    }
    const answer = parseAnswer(output.Payload, okShape);
    if (!answer) throw new VaultInternalError(`${functionName} answered something that is not a contract answer`);
    if (answer.ok) return answer;
    throw errorFromAnswer(answer.error);
  }
}

/** Parses and shape-checks an answer; undefined for anything else. The payload is never quoted (it holds a token). */
function parseAnswer<T>(
  payload: Uint8Array | undefined,
  okShape: (v: Record<string, unknown>) => T | undefined,
): Answer<T> | undefined {
  if (!payload || payload.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.ok === true) return okShape(v);
  if (v.ok === false && typeof v.error === 'object' && v.error !== null) {
    const e = v.error as Record<string, unknown>;
    if (typeof e.code !== 'string' || !(ERROR_CODES as readonly string[]).includes(e.code)) return undefined;
    return {
      ok: false,
      error: {
        code: e.code as (typeof ERROR_CODES)[number],
        message: typeof e.message === 'string' ? e.message : e.code,
        retryable: e.retryable === true,
        ...(typeof e.retryAfterSeconds === 'number' ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
      },
    } satisfies ErrorAnswer;
  }
  return undefined;
}

function tokenAnswerOf(v: Record<string, unknown>): TokenAnswer | undefined {
  const ok =
    typeof v.accessToken === 'string' &&
    typeof v.tokenType === 'string' &&
    typeof v.expiresAt === 'string' &&
    !Number.isNaN(Date.parse(v.expiresAt));
  return ok
    ? {
        ok: true,
        accessToken: v.accessToken as string,
        tokenType: v.tokenType as string,
        expiresAt: v.expiresAt as string,
        scope: typeof v.scope === 'string' ? v.scope : '',
      }
    : undefined;
}

function completeAnswerOf(v: Record<string, unknown>): CompleteAnswer | undefined {
  return typeof v.applicationId === 'string' && typeof v.reconnected === 'boolean'
    ? { ok: true, applicationId: v.applicationId, reconnected: v.reconnected }
    : undefined;
}
