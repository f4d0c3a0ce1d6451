/** token-fetch and refresh as the contract states them, with their metrics, over the refresh coordinator. */
import type { RefreshTrigger } from '../../definitions/metrics';
import { VaultError } from '../errors';
import { NO_METRICS, type VaultMetrics } from '../observability';
import type { IssuedToken, RefreshCoordinator } from '../refresh/coordinator';

export class TokenService {
  private readonly metrics: VaultMetrics;
  private readonly now: () => number;

  constructor(
    private readonly coordinator: RefreshCoordinator,
    options: { metrics?: VaultMetrics; now?: () => number } = {},
  ) {
    this.metrics = options.metrics ?? NO_METRICS;
    this.now = options.now ?? Date.now;
  }

  /** An access token valid for at least `minValiditySeconds`, refreshed first when needed. */
  async fetch(request: { userId: string; applicationId: string; minValiditySeconds: number }): Promise<IssuedToken> {
    return this.measure(request.applicationId, () =>
      this.coordinator.getToken(request, { minValidityMs: request.minValiditySeconds * 1000, trigger: 'on_demand' }),
    );
  }

  /** Refresh now (after a 401), unless the stored token already differs from the rejected one. */
  async refresh(request: { userId: string; applicationId: string; rejectedAccessToken?: string }): Promise<IssuedToken> {
    const trigger: RefreshTrigger = 'forced';
    return this.measure(request.applicationId, () =>
      this.coordinator.getToken(request, {
        minValidityMs: 0,
        trigger,
        // Without a rejected token the caller still asks for a refresh now: an impossible token forces it.
        rejectedAccessToken: request.rejectedAccessToken ?? '',
      }),
    );
  }

  private async measure(applicationId: string, run: () => Promise<IssuedToken>): Promise<IssuedToken> {
    const started = this.now();
    try {
      const token = await run();
      this.metrics.count('TOKEN_FETCH', { Application: applicationId, Result: 'ok' });
      return token;
    } catch (error) {
      this.metrics.count('TOKEN_FETCH', { Application: applicationId, Result: error instanceof VaultError ? error.code : 'internal_error' });
      throw error;
    } finally {
      this.metrics.timing('TOKEN_FETCH_LATENCY', { Application: applicationId }, this.now() - started);
    }
  }
}
