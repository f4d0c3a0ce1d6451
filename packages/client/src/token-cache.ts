/**
 * In-memory cache of access tokens per (user, application), with single-flight loading: concurrent callers for
 * the same key share one load, as long as it answers what each of them needs. Memory only (never written
 * anywhere), and an entry is served only while it has more than both a safety margin and the caller's demand left.
 */
import type { TokenAnswer } from './contract';
import { InsufficientScopeError, ProviderUnavailableError, RateLimitedError } from './errors';

interface Entry {
  readonly token: TokenAnswer;
  /** Epoch ms of `token.expiresAt`. */
  readonly expiresAtMs: number;
}

/** A running load of one key. */
interface Load {
  readonly promise: Promise<TokenAnswer>;
  /** The validity the load asked for (ms): its answer is good for every caller that needs no more. */
  readonly demandMs: number;
  /** A {@link TokenCache.replace} (a refresh of a rejected token). */
  readonly replacing: boolean;
}

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /** Clock in epoch milliseconds. */
  readonly now: () => number;
  /** An entry is used only while `now + skewMs < expiresAt`. */
  readonly skewMs: number;
  /**
   * Most entries kept; the least recently stored goes first. Bounds memory in a long-lived container serving
   * many users.
   * @default 1000
   */
  readonly maxEntries?: number;
}

/** Cache key of a (user, application) pair; `\u0000` cannot occur in either id. */
export function cacheKey(userId: string, applicationId: string): string {
  return `${applicationId}\u0000${userId}`;
}

/**
 * Whether a load's failure may depend on the validity it asked for, so that a caller asking less could be
 * answered: the vault serves a stored token during a provider outage or a throttle, or with a scope short of a
 * refresh's, only when that token meets the demand (docs/contract.md, token-fetch).
 */
function failsOnDemand(err: unknown): boolean {
  return (
    err instanceof ProviderUnavailableError || err instanceof RateLimitedError || err instanceof InsufficientScopeError
  );
}

/** The token cache of a {@link TokenVaultClient}. Exported for tests and custom clients. */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Load>();
  /** Bumped by {@link invalidate}: a load that started before an invalidation does not store its result. */
  readonly #generation = new Map<string, number>();
  readonly #options: Required<TokenCacheOptions>;

  constructor(options: TokenCacheOptions) {
    this.#options = { maxEntries: 1000, ...options };
  }

  /** The cached token when it stays valid for longer than both the skew and `minValidityMs`; else undefined. */
  get(key: string, minValidityMs = 0): TokenAnswer | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = this.#options.now();
    if (now + this.#options.skewMs >= entry.expiresAtMs) {
      this.#entries.delete(key);
      return undefined;
    }
    // Too close to expiry for this caller, but still good for callers that need less validity: kept.
    return now + minValidityMs >= entry.expiresAtMs ? undefined : entry.token;
  }

  /**
   * The cached token, or the result of `load` (stored for later), which must ask for `minValidityMs`. A call for a
   * key while a load runs shares that load; when the load asked for less validity than this call needs and its
   * token falls short of it, this call then runs `load` itself (a caller needing 10 minutes is never handed the
   * 90-second token of a concurrent caller that needed 1). When a shared load that asked for more validity than
   * this call needs fails in a way that depends on what it asked (`provider_unavailable`, `rate_limited`,
   * `insufficient_scope`), this call runs `load` itself, once: the vault may serve its lower demand a stored token.
   */
  getOrLoad(key: string, load: () => Promise<TokenAnswer>, minValidityMs = 0): Promise<TokenAnswer> {
    return this.#getOrLoad(key, load, minValidityMs, false);
  }

  async #getOrLoad(
    key: string,
    load: () => Promise<TokenAnswer>,
    minValidityMs: number,
    ownLoadTried: boolean,
  ): Promise<TokenAnswer> {
    const cached = this.get(key, minValidityMs);
    if (cached) return cached;
    let running = this.#loading.get(key);
    if (running && running.demandMs < minValidityMs) {
      // Waited for all the same: a token usually stays valid much longer than its caller asked.
      const token = await running.promise;
      if (this.#validFor(token, minValidityMs)) return token;
      running = this.#loading.get(key); // one started meanwhile
    }
    // A load that asked for just as much fails as this call's own would.
    if (running && running.demandMs === minValidityMs) return running.promise;
    if (running && running.demandMs > minValidityMs && !ownLoadTried) {
      try {
        return await running.promise;
      } catch (err) {
        if (!failsOnDemand(err)) throw err;
        // A load another such caller started meanwhile, asking as much as this one, is joined, not doubled.
        return this.#getOrLoad(key, load, minValidityMs, true);
      }
    }
    return this.#track(key, load, minValidityMs, false);
  }

  /**
   * Replaces a token the API rejected: when the cache already holds a different token (someone refreshed
   * meanwhile), answers that; when a replacement for the key is running, shares it; else drops the cached token,
   * runs `load` and stores its result. Many callers whose token was rejected together thus cause one refresh.
   */
  replace(
    key: string,
    rejectedAccessToken: string | undefined,
    load: () => Promise<TokenAnswer>,
  ): Promise<TokenAnswer> {
    const cached = this.get(key);
    if (cached && rejectedAccessToken !== undefined && cached.accessToken !== rejectedAccessToken)
      return Promise.resolve(cached);
    const running = this.#loading.get(key);
    if (running?.replacing) return running.promise;
    this.invalidate(key);
    // A refresh asks for no particular validity: callers that need some check its token (getOrLoad).
    return this.#track(key, load, 0, true);
  }

  /** Drops the cached token of a key; loads already running will not store theirs. */
  invalidate(key: string): void {
    this.#entries.delete(key);
    this.#generation.set(key, (this.#generation.get(key) ?? 0) + 1);
  }

  /** Drops everything. */
  clear(): void {
    for (const key of [...this.#entries.keys(), ...this.#loading.keys()]) this.invalidate(key);
  }

  /** Number of cached entries (valid or not yet evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether the token stays valid for more than `validityMs` from now. */
  #validFor(token: TokenAnswer, validityMs: number): boolean {
    return this.#options.now() + validityMs < Date.parse(token.expiresAt);
  }

  #track(key: string, load: () => Promise<TokenAnswer>, demandMs: number, replacing: boolean): Promise<TokenAnswer> {
    const generation = this.#generation.get(key) ?? 0;
    const promise: Promise<TokenAnswer> = load().then(
      (token) => {
        if ((this.#generation.get(key) ?? 0) === generation) this.#store(key, token);
        this.#settled(key, promise);
        return token;
      },
      (err: unknown) => {
        this.#settled(key, promise);
        throw err;
      },
    );
    // Replaces a running load only when that one asked for less (getOrLoad) or is overtaken (replace).
    this.#loading.set(key, { promise, demandMs, replacing });
    return promise;
  }

  #settled(key: string, promise: Promise<TokenAnswer>): void {
    if (this.#loading.get(key)?.promise === promise) this.#loading.delete(key);
  }

  #store(key: string, token: TokenAnswer): void {
    const expiresAtMs = Date.parse(token.expiresAt);
    if (!Number.isFinite(expiresAtMs)) return;
    this.#entries.delete(key);
    this.#entries.set(key, { token, expiresAtMs });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
