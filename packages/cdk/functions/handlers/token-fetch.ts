/** token-fetch: a valid access token, refreshed first when needed (docs/contract.md). */
import { tokenFetchRequestSchema } from '../contract/requests';
import { Container } from '../runtime/container';
import { invokeHandler } from '../runtime/invoke-handler';
import { tokenAnswer } from '../runtime/token-answer';

const vault = new Container(process.env, 'tokenFetch');

export const handler = invokeHandler(tokenFetchRequestSchema, async (input, deadline) => tokenAnswer(await vault.tokens().fetch(input, deadline)));
