/**
 * refresh: on demand after a 401 (with `rejectedAccessToken`), or on a schedule (`{ "sweep": true }`, or an
 * EventBridge Scheduler event) refreshing connections due soon (CONTRACT.md).
 */
import { z } from 'zod';
import { refreshRequestSchema, sweepRequestSchema } from '../contract/requests';
import { sweepDueConnections } from '../core/refresh/sweep';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';
import { vaultLogger } from '../runtime/powertools';
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
    return { ...result };
  }
  return tokenAnswer(await vault.tokens().refresh(input));
});
