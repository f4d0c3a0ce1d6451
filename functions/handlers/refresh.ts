/**
 * refresh: on demand after a 401 (with `rejectedAccessToken`), or on a schedule (`{ "sweep": true }`, or an
 * EventBridge Scheduler event) refreshing connections due soon (CONTRACT.md).
 */
import * as z from 'zod/mini';
import { refreshRequestSchema, sweepRequestSchema } from '../contract/requests';
import { describeError } from '../core/observability';
import { sweepDueConnections } from '../core/refresh/sweep';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';
import { vaultLogger, vaultMetrics } from '../runtime/powertools';
import { tokenAnswer } from '../runtime/token-answer';

const vault = new Container();

/** The sweep stops starting refreshes this long before the function's time runs out. */
const SWEEP_BUDGET_MS = 45_000;

const requestSchema = z.union([sweepRequestSchema, refreshRequestSchema]);

export const handler = invokeHandler(requestSchema, async (input) => {
  if ('sweep' in input) {
    const result = await sweepDueConnections(vault.connections(), vault.coordinator(), {
      horizonMs: vault.tunables().sweepHorizonMs,
      deadline: Date.now() + SWEEP_BUDGET_MS,
      logger: vaultLogger,
    });
    // ActiveTokens: the exact per-application counters (one Query on their partition, whatever the user count).
    // A failed sample is skipped, not the sweep's answer: the next sweep samples again.
    try {
      for (const [application, active] of Object.entries(await vault.connections().activeCounts())) {
        vaultMetrics.count('ACTIVE_TOKENS', { Application: application }, active);
      }
    } catch (error) {
      vaultLogger.warn('Active token counters could not be read.', describeError(error));
    }
    return { ...result };
  }
  return tokenAnswer(await vault.tokens().refresh(input));
});
