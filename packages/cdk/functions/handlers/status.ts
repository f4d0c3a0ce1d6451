/** status: a user's connections, their state and expiries, never a token (docs/contract.md). */
import { statusRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container(process.env, 'status');

// Through an application's alias (a scoped grant), the answer covers that application only.
export const handler = invokeHandler(
  statusRequestSchema,
  async (input, deadline) => ({ connections: await vault.status().status(input, deadline) }),
  {
    applicationScope: () => vault.applicationConfigs.map((a) => a.applicationId),
  },
);
