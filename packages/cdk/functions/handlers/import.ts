/** import: stores a refresh token issued elsewhere as a connection (migrations; docs/contract.md). */
import { FUNCTIONS } from '../../src/definitions/functions';
import { importRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container(process.env, 'importConnection');

export const handler = invokeHandler(
  importRequestSchema,
  async (input, deadline) => ({ ...(await vault.importer().import(input, deadline)) }),
  {
    // A changed token: the record carries the imported refresh token's fingerprint (never the token).
    audit: {
      fn: FUNCTIONS.importConnection.name,
      trail: () => vault.audit(),
      fingerprints: true,
      describe: (payload, answer) => ({
        userId: payload.userId as string,
        applicationId: (answer.ok === true ? answer.applicationId : payload.applicationId) as string,
        outcome: answer.ok === true ? 'imported' : 'refused',
        ...(answer.ok === true && typeof payload.refreshToken === 'string' ? { token: payload.refreshToken } : {}),
        ...(answer.ok === true ? {} : { errorCode: (answer.error as { code: string }).code }),
      }),
    },
  },
);
