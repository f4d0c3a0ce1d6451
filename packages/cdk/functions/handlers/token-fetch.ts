/** token-fetch: a valid access token, refreshed first when needed (docs/contract.md). */
import { FUNCTIONS } from '../../src/definitions/functions';
import { tokenFetchRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler, tokenAuditRecord } from '../runtime/invoke-handler';
import { tokenAnswer } from '../runtime/token-answer';

const vault = new Container(process.env, 'tokenFetch');

export const handler = invokeHandler(
  tokenFetchRequestSchema,
  async (input, deadline) => tokenAnswer(await vault.tokens().fetch(input, deadline)),
  {
    applicationScope: () => vault.applicationConfigs.map((a) => a.applicationId),
    audit: {
      fn: FUNCTIONS.tokenFetch.name,
      trail: () => vault.audit(),
      fingerprints: true,
      describe: tokenAuditRecord,
    },
  },
);
