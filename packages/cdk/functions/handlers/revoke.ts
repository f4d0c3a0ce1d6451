/** revoke: revokes one connection or all of a user's, in the vault and at the provider (docs/contract.md). */
import { revokeRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container(process.env, 'revoke');

export const handler = invokeHandler(revokeRequestSchema, async (input, deadline) => {
  const result = await vault.revocation().revoke(input, deadline);
  return { revoked: result.revoked, providerPending: result.providerPending };
});
