/**
 * The work done while holding a connection's refresh lease: prepare, call the provider, store the answer.
 *
 * Invariant: a refresh token is presented to the provider only while this holder's lease covers the attempt,
 * the write after it and the clock skew, and while the invocation's own time does too. So no other container
 * can take the lease over and present the same token while this one may still be using it, and no refresh is
 * cut off by the function's timeout between the provider's answer and the write. Before every attempt (the
 * first, a retry, the re-call after `invalid_client`) the lease is checked and, when short, extended (fenced on
 * owner and version); a lost lease means no attempt.
 *
 * The crash window that remains: a process killed between the provider's answer and the write, or a write that
 * fails for the whole lease (DynamoDB down), loses the rotated refresh token (`WriteAfterRefreshFailed`).
 */
import type { RefreshTrigger } from '../../../src/definitions/metrics';
import { MESSAGES, VaultError } from '../errors';
import type { DataKey } from '../crypto/envelope';
import { OAuthError } from '../oauth/errors';
import type { TokenResponse } from '../oauth/types';
import { NO_METRICS, type VaultMetrics } from '../observability';
import type { ActiveConnection, Lease } from '../store/types';
import type { Deadline } from '../time/deadline';
import { fullJitterDelay } from './backoff';
import { PROVIDER_ATTEMPTS, attemptNeedsMs, attemptTimeMs } from './budget';
import type { RefreshOutcome } from './outcome';
import { RefreshCommit } from './refresh-commit';
import { RefreshFailure } from './refresh-failure';
import type { RefresherOptions } from './refresher-options';
import { RefreshSchedule } from './schedule';

/**
 * Refreshes one connection under the lease its caller holds: the provider attempt loop is here; storing the answer
 * is refresh-commit.ts's, ending a refresh without tokens refresh-failure.ts's.
 */
export class Refresher {
  private readonly metrics: VaultMetrics;
  /** Storing the provider's answer (see refresh-commit.ts). */
  private readonly commits: RefreshCommit;
  /** Ending a refresh that produced no tokens (see refresh-failure.ts). */
  private readonly failures: RefreshFailure;

  constructor(private readonly o: RefresherOptions) {
    this.metrics = o.metrics ?? NO_METRICS;
    this.commits = new RefreshCommit(o, o.schedule ?? RefreshSchedule.all(o.marginMs));
    this.failures = new RefreshFailure(o);
  }

  /** Refreshes `connection`, whose lease this caller holds as `lease`. */
  async run(
    connection: ActiveConnection,
    initialLease: Lease,
    trigger: RefreshTrigger,
    deadline: Deadline,
  ): Promise<RefreshOutcome> {
    const dims = { Application: connection.applicationId };
    let lease = initialLease;
    let refreshToken: string | undefined;
    let dataKey: DataKey;
    let secret: string;
    try {
      // The next data key is made before the provider call: once the provider has rotated the refresh token,
      // only the DynamoDB write remains between its answer and storage.
      [refreshToken, dataKey, secret] = await Promise.all([
        this.o.sealer.openRefreshToken(connection, deadline),
        this.o.sealer.nextDataKey(connection, deadline),
        this.o.provider.clientSecret(connection.applicationId, deadline),
      ]);
    } catch (error) {
      return this.failures.fail(connection, lease, trigger, error, deadline, true);
    }
    if (refreshToken === undefined)
      return this.failures.fail(
        connection,
        lease,
        trigger,
        new VaultError('internal_error', MESSAGES.internal),
        deadline,
        false,
      );
    let reloaded = false;
    for (let attempt = 0; ; attempt++) {
      const room = await this.roomForAttempt(connection, lease, deadline);
      if (room === 'lost') return { kind: 'moved' };
      if (room === 'no_time') {
        return this.failures.fail(
          connection,
          lease,
          trigger,
          new VaultError('provider_unavailable', MESSAGES.providerUnavailable, { retryAfterSeconds: 1 }),
          deadline,
          false,
        );
      }
      lease = room;
      const requestedAt = this.o.clock.now();
      let response: TokenResponse;
      try {
        response = await this.o.provider.refresh(connection.applicationId, refreshToken, secret, {
          signal: deadline.signal(this.o.timing.providerTimeoutMs),
          timeoutMs: this.o.timing.providerTimeoutMs,
        });
      } catch (error) {
        this.metrics.timing('REFRESH_LATENCY', dims, this.o.clock.now() - requestedAt);
        if (error instanceof OAuthError && error.isInvalidGrant)
          return this.failures.invalidGrant(connection, lease, trigger, deadline);
        // The client secret may have been rotated: re-read it once. invalid_client is answered before the grant
        // is looked at, so the refresh token is still unused.
        if (error instanceof OAuthError && error.providerError === 'invalid_client' && !reloaded) {
          reloaded = true;
          try {
            const fresh = await this.o.provider.clientSecret(connection.applicationId, deadline, true);
            if (fresh !== secret) {
              secret = fresh;
              continue;
            }
          } catch (secretError) {
            return this.failures.fail(connection, lease, trigger, secretError, deadline, true);
          }
        }
        const delay = this.retryDelay(error, attempt);
        if (delay !== undefined && deadline.allows(delay + attemptTimeMs(this.o.timing))) {
          await this.o.clock.sleep(delay);
          continue;
        }
        return this.failures.fail(connection, lease, trigger, error, deadline, true);
      }
      this.metrics.timing('REFRESH_LATENCY', dims, this.o.clock.now() - requestedAt);
      this.metrics.count('REFRESH', { ...dims, Trigger: trigger, Result: 'ok' });
      // RFC 6749 §6: no new refresh token means the old one stays valid; a refresh answer without `scope` means
      // the scope granted before.
      // @see https://www.rfc-editor.org/rfc/rfc6749#section-6
      const answer = response.scope === undefined ? { ...response, scope: connection.tokens.scope } : response;
      const tokens = this.o.sealer.seal(
        connection,
        answer,
        response.refreshToken !== undefined
          ? { plaintext: response.refreshToken }
          : {
              plaintext: refreshToken,
              ...(connection.tokens.refreshTokenExpiresAt === undefined
                ? {}
                : { expiresAt: connection.tokens.refreshTokenExpiresAt }),
              ...(connection.tokens.refreshTokenExpiryAssumed ? { expiryAssumed: true } : {}),
            },
        requestedAt,
        dataKey,
      );
      return this.commits.commit(connection, lease, tokens, response, secret, deadline, trigger);
    }
  }

  /**
   * The lease for the next attempt: kept when it still covers attempt + write + skew, else extended. 'lost' when
   * another owner has it now; 'no_time' when the invocation cannot fit an attempt and its write.
   */
  private async roomForAttempt(
    connection: ActiveConnection,
    lease: Lease,
    deadline: Deadline,
  ): Promise<Lease | 'lost' | 'no_time'> {
    // The lease is judged against other containers' clocks (skew included), the deadline against this one's.
    const leaseNeeds = attemptNeedsMs(this.o.timing);
    const timeNeeds = attemptTimeMs(this.o.timing);
    if (!deadline.allows(timeNeeds)) return 'no_time';
    if (lease.expiresAt - this.o.clock.now() >= leaseNeeds) return lease;
    if (!deadline.allows(this.o.timing.awsCallMs + timeNeeds)) return 'no_time';
    try {
      const extended = await this.o.leases.extend(connection, lease, this.o.timing.leaseMs, deadline);
      if (!extended) return 'lost';
      return deadline.allows(timeNeeds) ? extended : 'no_time';
    } catch {
      // The extension's fate is unknown: without a lease known to cover the attempt, no attempt.
      return 'no_time';
    }
  }

  /** Delay before another attempt, or undefined when the error must not be retried (the token may be consumed). */
  private retryDelay(error: unknown, attempt: number): number | undefined {
    if (!(error instanceof OAuthError) || !error.isSafeToRetry || attempt + 1 >= PROVIDER_ATTEMPTS) return undefined;
    return error.retryAfterMs ?? fullJitterDelay(attempt, 200, 2000, this.o.random);
  }
}
