/** connect: starts an authorization-code flow (docs/contract.md). */
import { connectRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container(process.env, 'connect');

export const handler = invokeHandler(connectRequestSchema, async (input, deadline) => {
  const started = await vault.authorizationStart().start(input, deadline);
  return { authorizationUrl: started.authorizationUrl, expiresAt: new Date(started.expiresAt).toISOString() };
});
