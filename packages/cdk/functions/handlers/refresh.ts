/**
 * refresh: on demand after a 401 (with `rejectedAccessToken`), or on a schedule (`{ "sweep": true }`) doing the
 * work that is due: refreshes ahead of expiry and provider revocations not yet confirmed (docs/contract.md).
 */
import * as z from 'zod/mini';
import { refreshRequestSchema, sweepRequestSchema } from '../contract/requests';
import { describeError } from '../core/observability';
import { sweepDue } from '../core/refresh/sweep';
import { millis } from '../../src/definitions/tunables';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';
import { vaultLogger, vaultMetrics } from '../runtime/powertools';
import { tokenAnswer } from '../runtime/token-answer';

const vault = new Container(process.env, 'refresh');

const requestSchema = z.union([sweepRequestSchema, refreshRequestSchema]);

export const handler = invokeHandler(requestSchema, async (input, deadline) => {
  if (!('sweep' in input)) return tokenAnswer(await vault.tokens().refresh(input, deadline));
  const coordinator = vault.coordinator();
  const revocation = vault.revocation();
  const result = await sweepDue(
    vault.connections(),
    {
      refreshIfDue: (key, horizonMs, d) => coordinator.refreshIfDue(key, horizonMs, d),
      retryRevocation: (userId, itemKey, d) => revocation.retryRevocation(userId, itemKey, d),
    },
    { horizonMs: millis(vault.tunables, 'sweepLookaheadSeconds'), deadline, timing: vault.timing, logger: vaultLogger },
  );
  // Gauges sampled once per sweep: the exact active counters (one Query, whatever the user count) and the age
  // of the oldest revocation the provider has not confirmed. A failed sample is skipped, not the answer.
  try {
    for (const [application, active] of Object.entries(await vault.connections().activeCounts(deadline))) {
      vaultMetrics.count('ACTIVE_TOKENS', { Application: application }, active);
    }
    const ages = await vault.pending().oldestAgeByApplication(deadline);
    for (const application of vault.applications().ids()) vaultMetrics.timing('OLDEST_PENDING_REVOCATION_AGE', { Application: application }, ages.get(application) ?? 0);
  } catch (error) {
    vaultLogger.warn('Sweep gauges could not be read.', describeError(error));
  }
  return { ...result };
});
