/** revoke: revokes one connection or all of a user's, at the provider and in the vault (CONTRACT.md). */
import { revokeRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container();

export const handler = invokeHandler(revokeRequestSchema, async (input) => ({ revoked: await vault.revocation().revoke(input) }));
