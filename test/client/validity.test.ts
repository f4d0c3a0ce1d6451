/**
 * How much validity a token from the caller library has left: the client's default (the vault's 60 s) and a call's
 * `minValiditySeconds`, for cached tokens and for a caller that joins another caller's invoke. A stand-in Lambda
 * client answers as the contract says: a token valid for at least what the request asked.
 */
import type { InvokeCommand, InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { DEFAULT_MIN_VALIDITY_SECONDS, TokenVaultClient, type TokenVaultClientOptions } from '@token-vault/client';
import { tokenFetchRequestSchema } from '@token-vault/cdk/functions/contract/requests';

const T0 = Date.parse('2026-12-05T12:00:00Z');

/** A vault whose answers wait for `release()` and then last `validForMs(asked)` from the clock at that moment. */
function vault(validForMs: (askedSeconds: number | undefined, functionName: string) => number) {
  const requests: Array<{ minValiditySeconds?: number }> = [];
  let now = T0;
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  const lambda = {
    send: async (command: InvokeCommand) => {
      const request = JSON.parse(Buffer.from(command.input.Payload as Uint8Array).toString('utf8')) as {
        minValiditySeconds?: number;
      };
      requests.push(request);
      await gate;
      const answer = {
        ok: true,
        accessToken: `tok-${requests.length}`,
        tokenType: 'Bearer',
        expiresAt: new Date(
          now + validForMs(request.minValiditySeconds, String(command.input.FunctionName)),
        ).toISOString(),
        scope: 'read',
      };
      return {
        StatusCode: 200,
        Payload: new TextEncoder().encode(JSON.stringify(answer)) as InvokeCommandOutput['Payload'],
      };
    },
  } as unknown as LambdaClient;
  return {
    requests,
    client: (options: TokenVaultClientOptions = {}) => new TokenVaultClient({ lambda, now: () => now, ...options }),
    /** Holds every answer until `release`. */
    hold: () => {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release: () => open(),
    advance: (ms: number) => {
      now += ms;
    },
    left: (token: { expiresAt: string }) => Date.parse(token.expiresAt) - now,
  };
}

/** The vault's usual answer: 30 s more than asked, at least 90 s. */
const justEnough = (asked: number | undefined) => Math.max(90, (asked ?? 60) + 30) * 1000;

describe('a caller joining another caller’s invoke', () => {
  it('needing 10 minutes, is not handed the 90-second token of a concurrent default call: it asks itself', async () => {
    const v = vault(justEnough);
    const client = v.client();
    v.hold();
    const plain = client.getAccessToken('u1');
    const long = client.getAccessToken('u1', { minValiditySeconds: 600 });
    v.release();
    expect(v.left(await plain)).toBe(90_000);
    expect(v.left(await long)).toBeGreaterThanOrEqual(600_000);
    expect(v.requests).toEqual([
      { userId: 'u1', applicationId: 'default' },
      expect.objectContaining({ minValiditySeconds: 600 }),
    ]);
  });

  it('shares the invoke when its token is good for longer than the joiner needs', async () => {
    const v = vault(() => 3_600_000);
    const client = v.client();
    v.hold();
    const calls = [client.getAccessToken('u1'), client.getAccessToken('u1', { minValiditySeconds: 600 })];
    v.release();
    const [a, b] = await Promise.all(calls);
    expect(b!.accessToken).toBe(a!.accessToken);
    expect(v.requests).toHaveLength(1);
  });

  it('shares an invoke that asked for more than the joiner needs', async () => {
    const v = vault(justEnough);
    const client = v.client();
    v.hold();
    const calls = [
      client.getAccessToken('u1', { minValiditySeconds: 600 }),
      client.getAccessToken('u1'),
      client.getAccessToken('u1', { minValiditySeconds: 300 }),
    ];
    v.release();
    const tokens = await Promise.all(calls);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(v.requests).toHaveLength(1);
  });

  it('after a shared refresh whose token is short, asks token-fetch for its own validity', async () => {
    const v = vault((asked, fn) => (fn === 'refresh' ? 45_000 : justEnough(asked)));
    const client = v.client();
    v.hold();
    const refreshed = client.refreshAccessToken('u1');
    const fetched = client.getAccessToken('u1');
    v.release();
    expect(v.left(await refreshed)).toBe(45_000);
    expect(v.left(await fetched)).toBeGreaterThan(60_000);
    expect(v.requests).toHaveLength(2);
  });
});

describe('the default validity of a cached token', () => {
  it('is the vault’s default: a plain call never gets a cached token with less than 60 s left', async () => {
    const v = vault(() => 120_000);
    const client = v.client();
    await client.getAccessToken('u1');
    v.advance(59_000); // 61 s left: served from the cache
    expect(v.left(await client.getAccessToken('u1'))).toBe(61_000);
    expect(v.requests).toHaveLength(1);
    v.advance(21_000); // 40 s left: token-fetch again
    expect(v.left(await client.getAccessToken('u1'))).toBeGreaterThanOrEqual(60_000);
    expect(v.requests).toHaveLength(2);
  });

  it('a call asking for less gets a cached token down to expirySkewSeconds before expiry, no further', async () => {
    const v = vault(() => 120_000);
    const client = v.client();
    await client.getAccessToken('u1');
    v.advance(80_000); // 40 s left
    expect(v.left(await client.getAccessToken('u1', { minValiditySeconds: 10 }))).toBe(40_000);
    expect(v.requests).toHaveLength(1);
    v.advance(15_000); // 25 s left: inside the 30 s skew
    await client.getAccessToken('u1', { minValiditySeconds: 10 });
    expect(v.requests).toHaveLength(2);
  });

  it("the client's minValiditySeconds sets it for every call that names none, and is what token-fetch is asked", async () => {
    const v = vault(() => 20_000);
    const client = v.client({ minValiditySeconds: 5, expirySkewSeconds: 1 });
    await client.getAccessToken('u1');
    v.advance(10_000); // 10 s left: more than 5
    await client.getAccessToken('u1');
    expect(v.requests).toEqual([{ userId: 'u1', applicationId: 'default', minValiditySeconds: 5 }]);
    expect(() => v.client({ minValiditySeconds: -1 })).toThrow(RangeError);
  });

  it('is the default of the token-fetch function’s own request schema', () => {
    expect(tokenFetchRequestSchema.parse({ userId: 'u1' }).minValiditySeconds).toBe(DEFAULT_MIN_VALIDITY_SECONDS);
  });
});
