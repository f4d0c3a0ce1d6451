/**
 * In-memory cache of access tokens per (user, application), with single-flight loading: concurrent callers for
 * the same key share one load. Memory only (never written anywhere), and each entry is used only until
 * `expiresAt` minus a safety margin.
 */
import type { TokenAnswer } from './contract';

interface Entry {
  readonly token: TokenAnswer;
  /** Epoch ms of `token.expiresAt`. */
  readonly expiresAtMs: number;
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

/** The token cache of a {@link TokenVaultClient}. Exported for tests and custom clients. */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<TokenAnswer>>();
  /** Keys whose running load is a {@link replace}. */
  readonly #replacing = new Set<string>();
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
   * The cached token, or the result of `load` (stored for later). Concurrent calls for one key while a load runs
   * share that load.
   */
  async getOrLoad(key: string, load: () => Promise<TokenAnswer>, minValidityMs = 0): Promise<TokenAnswer> {
    const cached = this.get(key, minValidityMs);
    if (cached) return cached;
    const running = this.#loading.get(key);
    if (running) return running;
    return this.#track(key, load);
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
    if (running && this.#replacing.has(key)) return running;
    this.invalidate(key);
    this.#replacing.add(key);
    return this.#track(key, load);
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

  #track(key: string, load: () => Promise<TokenAnswer>): Promise<TokenAnswer> {
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
    this.#loading.set(key, promise);
    return promise;
  }

  #settled(key: string, promise: Promise<TokenAnswer>): void {
    if (this.#loading.get(key) === promise) {
      this.#loading.delete(key);
      this.#replacing.delete(key);
    }
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
