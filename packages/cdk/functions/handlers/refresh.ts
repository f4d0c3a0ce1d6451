/**
 * refresh: on demand after a 401 (with `rejectedAccessToken`), or when a caller needs a fresh token
 * (docs/contract.md). The scheduled sweep is a function of its own (refresh-sweep), which callers cannot invoke:
 * `{ "sweep": true }` here is `invalid_request`.
 */
import { refreshRequestSchema } from '../contract/requests';
import { FUNCTIONS } from '../../src/definitions/functions';
import { Container } from '../runtime/container';
import { invokeHandler, tokenAuditRecord } from '../runtime/invoke-handler';
import { tokenAnswer } from '../runtime/token-answer';

const vault = new Container(process.env, 'refresh');

export const handler = invokeHandler(
  refreshRequestSchema,
  async (input, deadline) => tokenAnswer(await vault.tokens().refresh(input, deadline)),
  {
    applicationScope: () => vault.applicationConfigs.map((a) => a.applicationId),
    audit: { fn: FUNCTIONS.refresh.name, trail: () => vault.audit(), fingerprints: true, describe: tokenAuditRecord },
  },
);
