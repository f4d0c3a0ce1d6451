/** In-container single flight alone (packages/cdk/functions/core/refresh/single-flight.ts). */
import { SingleFlight } from '@token-vault/cdk/functions/core/refresh/single-flight';

/** A promise the test settles by hand. */
function gate<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it("concurrent callers of one key share the first caller's work", async () => {
    const flight = new SingleFlight<string>();
    const work = gate<string>();
    let started = 0;
    const run = () => (started++, work.promise);
    const first = flight.run('k', run);
    const second = flight.run('k', run);
    expect([first.joined, second.joined]).toEqual([false, true]);
    expect(second.promise).toBe(first.promise);
    work.resolve('done');
    await expect(second.promise).resolves.toBe('done');
    expect(started).toBe(1);
  });

  it('different keys do not share', () => {
    const flight = new SingleFlight<number>();
    const a = flight.run('a', () => Promise.resolve(1));
    const b = flight.run('b', () => Promise.resolve(2));
    expect(b.joined).toBe(false);
    expect(b.promise).not.toBe(a.promise);
  });

  it('forgets a key once its work settled, failed work included', async () => {
    const flight = new SingleFlight<string>();
    const failing = gate<string>();
    const first = flight.run('k', () => failing.promise);
    failing.reject(new Error('provider down'));
    await expect(first.promise).rejects.toThrow('provider down');
    const next = flight.run('k', () => Promise.resolve('again'));
    expect(next.joined).toBe(false);
    await expect(next.promise).resolves.toBe('again');
  });

  it('disabled, every caller runs its own work', () => {
    const flight = new SingleFlight<string>(false);
    const never = new Promise<string>(() => undefined);
    flight.run('k', () => never);
    expect(flight.run('k', () => never).joined).toBe(false);
  });
});
