/** revoke: revokes one connection or all of a user's, in the vault and at the provider (docs/contract.md). */
import { FUNCTIONS } from '../../src/definitions/functions';
import { revokeRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container(process.env, 'revoke');

export const handler = invokeHandler(
  revokeRequestSchema,
  async (input, deadline) => {
    const result = await vault.revocation().revoke(input, deadline);
    return { revoked: result.revoked, providerPending: result.providerPending };
  },
  {
    applicationScope: () => vault.applicationConfigs.map((a) => a.applicationId),
    audit: {
      fn: FUNCTIONS.revoke.name,
      trail: () => vault.audit(),
      describe: (payload, answer) => ({
        userId: payload.userId as string,
        applicationId: payload.applicationId as string,
        outcome: answer.ok === true ? (Number(answer.revoked) > 0 ? 'revoked' : 'none') : 'refused',
        ...(answer.ok === true
          ? { count: Number(answer.revoked) }
          : { errorCode: (answer.error as { code: string }).code }),
      }),
    },
  },
);
