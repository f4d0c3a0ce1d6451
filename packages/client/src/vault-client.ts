/**
 * {@link TokenVaultClient}: what another Lambda uses to get a user's access token from the vault (`token-fetch`
 * and `refresh` through the Lambda Invoke API) and to call the provider's API with it.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  DEFAULT_MIN_VALIDITY_SECONDS,
  FUNCTION_NAMES,
  type CompleteAnswer,
  type CompleteRequest,
  type ConnectionStatus,
  type RefreshRequest,
  type StatusRequest,
  type TokenAnswer,
  type TokenFetchRequest,
} from './contract';
import { completeAnswerOf, parseAnswer, statusAnswerOf, tokenAnswerOf } from './answers';
import { runApiRequest, type ApiRequestInit } from './api-request';
import { applicationAlias } from './application-alias';
import {
  CLIENT_ENV,
  DEFAULT_API_BASE_URL,
  DEFAULT_APPLICATION_ID,
  DEFAULT_INVOKE_TIMEOUT_MS,
  defaultLambdaClient,
  type GetAccessTokenOptions,
  type RefreshAccessTokenOptions,
  type TokenVaultClientOptions,
} from './client-options';
import { errorFromAnswer, VaultInternalError } from './errors';
import { SingleAttemptError, singleAttempt } from './single-attempt';
import { cacheKey, TokenCache } from './token-cache';

/** How {@link TokenVaultClient} invokes one function. */
interface InvokeOptions {
  /** Alias to invoke (a caller granted per application). */
  readonly qualifier?: string;
  /**
   * The call spends something (`complete`: its single-use handle): one attempt whatever the Lambda client's retry
   * settings, and a failure whose outcome is unknown says so and is not retryable.
   */
  readonly notRepeatable?: boolean;
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
  /** The client's `minValiditySeconds`, when it set one (else the vault's default, not sent). */
  readonly #minValiditySeconds: number | undefined;
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
    if (
      options.minValiditySeconds !== undefined &&
      (!Number.isInteger(options.minValiditySeconds) || options.minValiditySeconds < 0)
    )
      throw new RangeError('minValiditySeconds must be an integer >= 0');
    this.#minValiditySeconds = options.minValiditySeconds;
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
   * An access token for the user valid for more than `minValiditySeconds` (default 60): from the in-memory cache
   * while the cached token has more than that and `expirySkewSeconds` left, else from `token-fetch` (asked for
   * `minValiditySeconds`). Concurrent calls for the same (user, application) share one invoke when it asks for at
   * least the validity each of them needs.
   *
   * @throws NotConnectedError, ReauthorizationRequiredError, RateLimitedError, ProviderUnavailableError,
   *   InvalidRequestError or VaultInternalError (all {@link TokenVaultError}s) for the vault's error answers and
   *   failed invocations
   */
  async getAccessToken(userId: string, options: GetAccessTokenOptions = {}): Promise<TokenAnswer> {
    const applicationId = options.applicationId ?? this.#applicationId;
    const minValiditySeconds = options.minValiditySeconds ?? this.#minValiditySeconds;
    const request: TokenFetchRequest = {
      userId,
      applicationId,
      ...(minValiditySeconds === undefined ? {} : { minValiditySeconds }),
    };
    return this.#cache.getOrLoad(
      cacheKey(userId, applicationId),
      () => this.#invoke(this.#tokenFetchFunction, request),
      (minValiditySeconds ?? DEFAULT_MIN_VALIDITY_SECONDS) * 1000,
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
   * `complete` runs at most once, whatever the Lambda client's retry settings: a second invocation would find
   * the handle spent by the first. An Invoke that provably did not reach the function (Lambda's 429 throttle, a
   * refused connection, an unresolved host, missing credentials) is retried by the SDK like any other call, and
   * when it still fails the error is `retryable: true`: the handle is untouched. When the answer of an invocation
   * that may have run is lost (a reset connection, a timeout, a 5xx, a crash), or the vault answers
   * `internal_error` (which it may do after it claimed the handle), the connection may have been made and the
   * handle may be spent: the error says so, is not retryable, and `status(userId)` tells.
   *
   * @throws InvalidRequestError for an unknown, used, expired or foreign handle (start again with `connect`);
   *   VaultInternalError with `retryable: false` when the outcome is unknown, including the vault's own
   *   `internal_error` (check `status`, do not call `complete` again), or `retryable: true` when the function did
   *   not run (call `completeConnection` again); and the other errors of {@link getAccessToken}
   */
  async completeConnection(flowHandle: string, userId: string): Promise<CompleteAnswer> {
    const request: CompleteRequest = { flowHandle, userId };
    return this.#invokeFor(this.#completeFunction, request, completeAnswerOf, { notRepeatable: true });
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
      statusAnswerOf,
      qualifier === undefined ? {} : { qualifier },
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
    return this.#invokeFor(functionName, request, tokenAnswerOf, qualifier === undefined ? {} : { qualifier });
  }

  async #invokeFor<T extends { ok: true }>(
    functionName: string,
    request: object,
    okShape: (v: Record<string, unknown>) => T | undefined,
    options: InvokeOptions = {},
  ): Promise<T> {
    const { qualifier, notRepeatable = false } = options;
    // A failure of a call that must not be repeated: it may have run, so the caller is told to look, not to retry.
    const failed = (what: string, cause?: unknown): VaultInternalError =>
      notRepeatable
        ? new VaultInternalError(
            `${what}; it may have run nonetheless, and is not repeated: check status before starting again`,
            { retryable: false, ...(cause === undefined ? {} : { cause }) },
          )
        : new VaultInternalError(what, cause === undefined ? {} : { cause });
    const command = new InvokeCommand({
      FunctionName: functionName,
      ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
      Payload: new TextEncoder().encode(JSON.stringify(request)),
    });
    let output;
    try {
      output = await this.#lambda.send(notRepeatable ? singleAttempt(command) : command);
    } catch (err) {
      const cause = err instanceof SingleAttemptError ? err.attemptError : err;
      const name = cause instanceof Error ? cause.name : 'Error';
      // Only the single attempt's own failure may have reached the function; any other error of a single-attempt
      // send proves it did not run (a throttle, no connection, no credentials: see singleAttempt), so it can be
      // tried again.
      if (notRepeatable && !(err instanceof SingleAttemptError))
        throw new VaultInternalError(`invoking ${functionName} failed (${name}); it did not run`, { cause });
      throw failed(`invoking ${functionName} failed (${name})`, cause);
    }
    if (output.FunctionError) {
      // An unhandled error in the function (crash, timeout): its payload is an error report, not an answer.
      throw failed(`${functionName} failed (${output.FunctionError})`);
    }
    const answer = parseAnswer(output.Payload, okShape);
    if (!answer) throw failed(`${functionName} answered something that is not a contract answer`);
    if (answer.ok) return answer;
    // The vault's internal_error is retryable in general, but a `complete` answers it after it claimed the handle
    // (or may have): calling again would only find the handle used.
    if (notRepeatable && answer.error.code === 'internal_error')
      throw failed(`${functionName} answered internal_error; the handle may be spent`);
    throw errorFromAnswer(answer.error);
  }
}
