/**
 * complete: activates a session-bound flow (docs/contract.md, README "Session binding"). The application's backend
 * calls it with the `flow` handle of the pending redirect and the user of its own logged-in session.
 */
import { completeRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container();

export const handler = invokeHandler(completeRequestSchema, async (input, deadline) => {
  const completed = await vault.authorization().completeFlow(input, deadline);
  return { applicationId: completed.applicationId, reconnected: completed.reconnected };
});
