/**
 * complete: activates a session-bound flow (docs/contract.md, README "Session binding"). The application's backend
 * calls it with the `flow` handle of the pending redirect and the user of its own logged-in session.
 */
import { FUNCTIONS } from '../../src/definitions/functions';
import { completeRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container(process.env, 'complete');

export const handler = invokeHandler(
  completeRequestSchema,
  async (input, deadline) => {
    const completed = await vault.authorization().completeFlow(input, deadline);
    return { applicationId: completed.applicationId, reconnected: completed.reconnected };
  },
  {
    audit: {
      fn: FUNCTIONS.complete.name,
      trail: () => vault.audit(),
      // The user is the one the application presented; a refusal's flow user is in the function's log.
      describe: (payload, answer) => ({
        userId: payload.userId as string,
        ...(answer.ok === true
          ? { applicationId: answer.applicationId as string, outcome: 'connected' }
          : { outcome: 'refused', errorCode: (answer.error as { code: string }).code }),
      }),
    },
  },
);
