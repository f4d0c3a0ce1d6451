/**
 * Caller library: 1,000 sequential `TokenVaultClient.getAccessToken` calls for one user within the validity of
 * its token, counting the Lambda invokes. The client is the real one (packages/client); its LambdaClient is a stand-in
 * that answers each InvokeCommand by running token-fetch's core (schema, TokenService, answer) in this process
 * against the local stack, i.e. only the Lambda transport is replaced. "off": the same client with its cache
 * made useless (expirySkewSeconds longer than any token's life: every cached token counts as about to expire).
 */
import type { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { TokenVaultClient } from '@token-vault/client';
import { tokenFetchRequestSchema } from '@token-vault/cdk/functions/contract/requests';
import { tokenAnswer } from '@token-vault/cdk/functions/runtime/token-answer';
import type { Section } from './report';
import { fetchDeadline } from './token-service';
import type { BenchStack } from './stack';

const CALLS = 1000;
const USER = 'caller-library-user';

export async function measureCallerLibrary(stack: BenchStack): Promise<Section> {
  await stack.connectUser(USER);
  const tokens = stack.tokenService(stack.newContainer());
  const run = async (cacheOn: boolean) => {
    let invokes = 0;
    const lambda = {
      send: async (command: InvokeCommand) => {
        invokes++;
        const request: unknown = JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array));
        const answer = {
          ok: true,
          ...tokenAnswer(await tokens.fetch(tokenFetchRequestSchema.parse(request), fetchDeadline())),
        };
        return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(answer)) };
      },
    } as unknown as LambdaClient;
    const client = new TokenVaultClient({
      lambda,
      tokenFetchFunction: 'token-fetch',
      ...(cacheOn ? {} : { expirySkewSeconds: 365 * 24 * 3600 }),
    });
    const seen = new Set<string>();
    for (let i = 0; i < CALLS; i++) seen.add((await client.getAccessToken(USER)).accessToken);
    return { invokes, distinct: seen.size };
  };
  const on = await run(true);
  const off = await run(false);
  return {
    title: `caller library: ${CALLS} sequential getAccessToken calls for one user within its token's validity`,
    off: "the client's token cache (expirySkewSeconds longer than the token's life)",
    figures: [
      { label: `invokes of token-fetch per ${CALLS} getAccessToken`, on: on.invokes, off: off.invokes },
      { label: 'distinct access tokens answered', on: on.distinct, off: off.distinct },
    ],
    notes: [
      "caller library: the real TokenVaultClient (packages/client) with a stand-in LambdaClient whose send() runs token-fetch's core in-process " +
        'against the local stack; only the Lambda transport is replaced.',
    ],
  };
}
