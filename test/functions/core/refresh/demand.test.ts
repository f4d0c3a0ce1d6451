/** What a caller asks of the refresh core, as the refresh metrics' trigger (packages/cdk/functions/core/refresh/demand.ts). */
import { triggerOf } from '@token-vault/cdk/functions/core/refresh/demand';

describe('triggerOf', () => {
  it("names a token-fetch's demand on_demand and the others by their kind", () => {
    expect(triggerOf({ kind: 'valid', minValidityMs: 60_000 })).toBe('on_demand');
    expect(triggerOf({ kind: 'forced' })).toBe('forced');
    expect(triggerOf({ kind: 'forced', rejectedAccessToken: 'rejected' })).toBe('forced');
    expect(triggerOf({ kind: 'proactive', horizonMs: 0 })).toBe('proactive');
  });
});
