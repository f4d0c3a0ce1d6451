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
    // A changed connection: one record (the fingerprint is of access tokens handed out; import hands out none).
    audit: {
      fn: FUNCTIONS.importConnection.name,
      trail: () => vault.audit(),
      describe: (payload, answer) => ({
        userId: payload.userId as string,
        applicationId: (answer.ok === true ? answer.applicationId : payload.applicationId) as string,
        outcome: answer.ok === true ? 'imported' : 'refused',
        ...(answer.ok === true ? {} : { errorCode: (answer.error as { code: string }).code }),
      }),
    },
  },
);
