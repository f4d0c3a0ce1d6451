/** token-fetch and refresh as the contract states them, with their metrics, over the refresh coordinator. */
import { VaultError } from '../errors';
import { NO_METRICS, type VaultMetrics } from '../observability';
import type { RefreshCoordinator } from '../refresh/coordinator';
import type { IssuedToken } from '../refresh/coordinator-options';
import type { Deadline } from '../time/deadline';
import type { ApplicationRegistry } from './applications';

export class TokenService {
  private readonly metrics: VaultMetrics;

  constructor(
    private readonly coordinator: RefreshCoordinator,
    private readonly applications: ApplicationRegistry,
    options: { metrics?: VaultMetrics } = {},
  ) {
    this.metrics = options.metrics ?? NO_METRICS;
  }

  /** An access token valid for at least `minValiditySeconds`, refreshed first when needed. */
  fetch(
    request: { userId: string; applicationId: string; minValiditySeconds: number },
    deadline: Deadline,
  ): Promise<IssuedToken> {
    return this.measure(request.applicationId, deadline, () =>
      this.coordinator.getToken(request, { kind: 'valid', minValidityMs: request.minValiditySeconds * 1000 }, deadline),
    );
  }

  /** Refresh now (after a 401), unless the stored token already differs from the rejected one. */
  refresh(
    request: { userId: string; applicationId: string; rejectedAccessToken?: string },
    deadline: Deadline,
  ): Promise<IssuedToken> {
    return this.measure(request.applicationId, deadline, () =>
      this.coordinator.getToken(
        request,
        {
          kind: 'forced',
          ...(request.rejectedAccessToken === undefined ? {} : { rejectedAccessToken: request.rejectedAccessToken }),
        },
        deadline,
      ),
    );
  }

  private async measure(
    applicationId: string,
    deadline: Deadline,
    run: () => Promise<IssuedToken>,
  ): Promise<IssuedToken> {
    // Unknown applications are refused before anything is read.
    this.applications.require(applicationId);
    const started = deadline.clock.now();
    try {
      const token = await run();
      this.metrics.count('TOKEN_FETCH', { Application: applicationId, Result: 'ok' });
      return token;
    } catch (error) {
      this.metrics.count('TOKEN_FETCH', {
        Application: applicationId,
        Result: error instanceof VaultError ? error.code : 'internal_error',
      });
      throw error;
    } finally {
      this.metrics.timing('TOKEN_FETCH_LATENCY', { Application: applicationId }, deadline.clock.now() - started);
    }
  }
}
