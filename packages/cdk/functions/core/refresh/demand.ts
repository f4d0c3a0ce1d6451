/** What a caller asks of the refresh core. */
import type { RefreshTrigger } from '../../../src/definitions/metrics';

export type RefreshDemand =
  /** token-fetch: a token valid for at least `minValidityMs` (refreshed first when due). */
  | { readonly kind: 'valid'; readonly minValidityMs: number }
  /**
   * refresh after a 401: a token other than `rejectedAccessToken`, refreshing unless the stored one already
   * differs from it; without one, a freshly refreshed token.
   */
  | { readonly kind: 'forced'; readonly rejectedAccessToken?: string }
  /** The sweep: refresh when due within `horizonMs`; nothing is served. */
  | { readonly kind: 'proactive'; readonly horizonMs: number };

export function triggerOf(demand: RefreshDemand): RefreshTrigger {
  return demand.kind === 'valid' ? 'on_demand' : demand.kind;
}
