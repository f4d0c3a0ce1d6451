/**
 * Bounded in-memory cache of plaintext data keys, keyed by (wrapped key, row). Never written to disk; entries
 * expire so a key disabled in KMS stops working within the TTL even in a warm container.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { RowBinding } from './types';

/** Size and lifetime of the data key cache. */
export interface DataKeyCacheOptions {
  /**
   * Most data keys kept; the least recently used goes first.
   * @default 1000
   */
  readonly maxEntries?: number;
  /**
   * How long a data key is kept after it was put.
   * @default 15 minutes
   */
  readonly ttlMs?: number;
  /**
   * Turn caching off (the benchmark's "caches disabled" side).
   * @default true
   */
  readonly enabled?: boolean;
}

export class DataKeyCache {
  private readonly lru: LRUCache<string, Buffer>;
  private readonly enabled: boolean;

  constructor(options: DataKeyCacheOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.lru = new LRUCache<string, Buffer>({
      max: options.maxEntries ?? 1000,
      ttl: options.ttlMs ?? 15 * 60 * 1000,
      // Zero the key material when an entry leaves the cache.
      dispose: (value) => value.fill(0),
    });
  }

  get(encryptedDataKey: Uint8Array, binding: RowBinding): Buffer | undefined {
    if (!this.enabled) return undefined;
    const key = this.lru.get(cacheKey(encryptedDataKey, binding));
    // A copy: an eviction zeroes the cached buffer, which must not hit a caller still using it.
    return key ? Buffer.from(key) : undefined;
  }

  has(encryptedDataKey: Uint8Array, binding: RowBinding): boolean {
    return this.enabled && this.lru.has(cacheKey(encryptedDataKey, binding));
  }

  /** Stores a copy of the key. */
  set(encryptedDataKey: Uint8Array, key: Buffer, binding: RowBinding): void {
    if (!this.enabled) return;
    this.lru.set(cacheKey(encryptedDataKey, binding), Buffer.from(key));
  }

  get size(): number {
    return this.lru.size;
  }

  clear(): void {
    this.lru.clear();
  }
}

/** Cache identity of a wrapped key for one row. */
export function cacheKey(encryptedDataKey: Uint8Array, binding: RowBinding): string {
  return createHash('sha256')
    .update(JSON.stringify([binding.userId, binding.applicationId]))
    .update(encryptedDataKey)
    .digest('base64url');
}
