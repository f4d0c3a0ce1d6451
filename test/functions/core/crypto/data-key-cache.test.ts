/**
 * The plaintext data key cache alone (packages/cdk/functions/core/crypto/data-key-cache.ts): keyed by wrapped key
 * and row, bounded, expiring, handing out copies, and zeroing what it evicts.
 */
import { DataKeyCache, cacheKey } from '@token-vault/cdk/functions/core/crypto/data-key-cache';

const alice = { userId: 'alice', applicationId: 'app' };
const bob = { userId: 'bob', applicationId: 'app' };
const wrapped = new Uint8Array([1, 2, 3]);
const plain = () => Buffer.alloc(32, 7);

describe('DataKeyCache', () => {
  it('answers a key only for the row it was stored for', () => {
    const cache = new DataKeyCache();
    cache.set(wrapped, plain(), alice);
    expect(cache.get(wrapped, alice)).toEqual(plain());
    expect(cache.has(wrapped, alice)).toBe(true);
    expect(cache.get(wrapped, bob)).toBeUndefined();
    expect(cache.get(new Uint8Array([9]), alice)).toBeUndefined();
    // A userId and applicationId that concatenate alike are different rows.
    expect(cacheKey(wrapped, { userId: 'a', applicationId: 'bc' })).not.toBe(
      cacheKey(wrapped, { userId: 'ab', applicationId: 'c' }),
    );
  });

  it('stores and hands out copies: a caller changing its buffer changes nothing cached', () => {
    const cache = new DataKeyCache();
    const key = plain();
    cache.set(wrapped, key, alice);
    key.fill(0);
    const out = cache.get(wrapped, alice)!;
    out.fill(1);
    expect(cache.get(wrapped, alice)).toEqual(plain());
  });

  it('is bounded: the least recently used key goes first', () => {
    const cache = new DataKeyCache({ maxEntries: 2 });
    cache.set(new Uint8Array([1]), plain(), alice);
    cache.set(new Uint8Array([2]), plain(), alice);
    cache.get(new Uint8Array([1]), alice);
    cache.set(new Uint8Array([3]), plain(), alice);
    expect(cache.size).toBe(2);
    expect(cache.has(new Uint8Array([1]), alice)).toBe(true);
    expect(cache.has(new Uint8Array([2]), alice)).toBe(false);
  });

  it('expires keys after their time to live', async () => {
    const cache = new DataKeyCache({ ttlMs: 20 });
    cache.set(wrapped, plain(), alice);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(cache.get(wrapped, alice)).toBeUndefined();
  });

  it('disabled, keeps nothing', () => {
    const cache = new DataKeyCache({ enabled: false });
    cache.set(wrapped, plain(), alice);
    expect(cache.get(wrapped, alice)).toBeUndefined();
    expect(cache.has(wrapped, alice)).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('clear empties it', () => {
    const cache = new DataKeyCache();
    cache.set(wrapped, plain(), alice);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
