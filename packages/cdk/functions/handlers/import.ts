/** import: stores a refresh token issued elsewhere as a connection (migrations; docs/contract.md). */
import { importRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';

const vault = new Container();

export const handler = invokeHandler(importRequestSchema, async (input, deadline) => ({ ...(await vault.importer().import(input, deadline)) }));
