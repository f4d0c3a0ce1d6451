/**
 * The guide's `apiRequest`, done right: Bearer token from the vault, one refresh and one retry on 401
 * `invalid_token`, a typed error (and no refresh) on 403 `insufficient_scope`, and full-jitter backoff honouring
 * `Retry-After` on 429 or a vault `rate_limited`, for a bounded number of attempts.
 */
import type { TokenAnswer } from './contract';
import { InsufficientScopeError, RateLimitedError, TokenVaultError } from './errors';
import { retryAfterMs } from './retry-after';

/** Options of one {@link TokenVaultClient.apiRequest} call, besides the usual `fetch` options. */
export interface ApiRequestInit extends RequestInit {
  /** Application whose token to use. @default 'default' */
  readonly applicationId?: string;
}

/** What {@link runApiRequest} needs from the client. */
export interface ApiRequestDeps {
  readonly apiBaseUrl: string;
  readonly fetch: typeof globalThis.fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
  readonly maxRateLimitAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxRetryAfterSeconds: number;
  getAccessToken(userId: string, applicationId: string | undefined): Promise<TokenAnswer>;
  refreshAccessToken(
    userId: string,
    applicationId: string | undefined,
    rejectedAccessToken: string,
  ): Promise<TokenAnswer>;
}

/** A parsed `WWW-Authenticate: Bearer ...` challenge (RFC 6750 §3). */
export interface BearerChallenge {
  readonly error: string | undefined;
  readonly scope: string | undefined;
}

/** Reads `error` and `scope` of the Bearer challenge in a `WWW-Authenticate` header (undefined: no Bearer one). */
export function parseBearerChallenge(header: string | null): BearerChallenge | undefined {
  if (!header) return undefined;
  const start = header.search(/(^|[\s,])Bearer(\s|$)/i);
  if (start < 0) return undefined;
  const params = header.slice(start).replace(/^[\s,]*Bearer/i, '');
  const read = (name: string): string | undefined => {
    const match = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,]+))`, 'i').exec(params);
    if (!match) return undefined;
    return match[1] === undefined ? match[2] : match[1].replace(/\\(.)/g, '$1');
  };
  return { error: read('error'), scope: read('scope') };
}

/**
 * Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date, rounded up); undefined when absent
 * or unreadable. The vault's answers and errors speak seconds (`retryAfterSeconds`).
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  const ms = retryAfterMs(header, nowMs);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

/**
 * Delay before retry number `retry` (0-based): full jitter, `random() * min(max, base * 2^retry)`; when the
 * server named a wait, that wait plus a jitter of up to `base`, so that callers told the same moment spread out.
 */
export function backoffDelayMs(
  retry: number,
  retryAfterSeconds: number | undefined,
  deps: Pick<ApiRequestDeps, 'random' | 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  if (retryAfterSeconds !== undefined) return retryAfterSeconds * 1000 + Math.floor(deps.random() * deps.backoffBaseMs);
  const ceiling = Math.min(deps.backoffMaxMs, deps.backoffBaseMs * 2 ** retry);
  return Math.floor(deps.random() * ceiling);
}

/** The URL of `endpoint` under the API base URL. Only paths are accepted, so a token never leaves for another origin. */
export function resolveEndpoint(apiBaseUrl: string, endpoint: string): URL {
  if (!endpoint.startsWith('/') || endpoint.startsWith('//')) {
    throw new TypeError('endpoint must be a path starting with a single "/" (it is appended to apiBaseUrl)');
  }
  const base = new URL(apiBaseUrl);
  const url = new URL(base.pathname.replace(/\/+$/, '') + endpoint, base);
  if (url.origin !== base.origin) throw new TypeError('endpoint resolves outside apiBaseUrl');
  return url;
}

/** Runs one API request with the policy described in the file comment. See {@link TokenVaultClient.apiRequest}. */
export async function runApiRequest(
  deps: ApiRequestDeps,
  userId: string,
  endpoint: string,
  init: ApiRequestInit = {},
): Promise<Response> {
  const { applicationId, ...requestInit } = init;
  const url = resolveEndpoint(deps.apiBaseUrl, endpoint);
  let refreshed = false;
  /** The token the API rejected, while its replacement is still to be fetched. */
  let rejected: string | undefined;
  let retries = 0;
  let attempts = 0;

  for (;;) {
    attempts += 1;
    let response: Response;
    let token: TokenAnswer;
    try {
      token =
        rejected === undefined
          ? await deps.getAccessToken(userId, applicationId)
          : await deps.refreshAccessToken(userId, applicationId, rejected);
      rejected = undefined;
      response = await send(deps, url, requestInit, token);
    } catch (err) {
      // The vault itself throttles (token-fetch or refresh): same policy as an API 429.
      if (
        err instanceof RateLimitedError &&
        attempts < deps.maxRateLimitAttempts &&
        withinCap(deps, err.retryAfterSeconds)
      ) {
        await deps.sleep(backoffDelayMs(retries++, err.retryAfterSeconds, deps));
        continue;
      }
      throw err;
    }

    if (response.status === 401 && !refreshed && isInvalidToken(response)) {
      await discard(response);
      refreshed = true;
      // The next attempt asks `refresh` for a new token (which also replaces the cached one) and retries once.
      rejected = token.accessToken;
      attempts -= 1; // the retry after a refresh is not counted against maxRateLimitAttempts
      continue;
    }

    if (response.status === 403) {
      const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
      if (challenge?.error === 'insufficient_scope') {
        await discard(response);
        throw new InsufficientScopeError(
          `the API refused ${url.pathname}: insufficient_scope${challenge.scope ? ` (needs ${challenge.scope})` : ''}`,
          challenge.scope,
        );
      }
    }

    if (response.status === 429) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), deps.now());
      await discard(response);
      if (attempts >= deps.maxRateLimitAttempts || !withinCap(deps, retryAfter)) {
        throw new RateLimitedError(
          `the API kept answering 429 for ${url.pathname} (${attempts} attempt(s))`,
          retryAfter,
        );
      }
      await deps.sleep(backoffDelayMs(retries++, retryAfter, deps));
      continue;
    }

    return response;
  }
}

function withinCap(deps: ApiRequestDeps, retryAfterSeconds: number | undefined): boolean {
  return retryAfterSeconds === undefined || retryAfterSeconds <= deps.maxRetryAfterSeconds;
}

/** 401 with `error="invalid_token"`, or a plain 401 without a Bearer error (RFC 6750 §3.1). */
function isInvalidToken(response: Response): boolean {
  const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
  return challenge?.error === undefined || challenge.error === 'invalid_token';
}

async function send(deps: ApiRequestDeps, url: URL, init: RequestInit, token: TokenAnswer): Promise<Response> {
  const headers = new Headers(init.headers);
  // RFC 6750 uses "Bearer"; providers answer "bearer" too.
  const scheme = /^bearer$/i.test(token.tokenType) ? 'Bearer' : token.tokenType;
  headers.set('authorization', `${scheme} ${token.accessToken}`);
  return deps.fetch(url, { ...init, headers });
}

/** Frees the connection of a response we do not hand back. */
async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // already consumed or closed
  }
}

/** Whether an error from the library is worth retrying later (network errors from `fetch` are not TokenVaultErrors). */
export function isRetryable(err: unknown): boolean {
  return err instanceof TokenVaultError && err.retryable;
}
