/**
 * `complete` spends its single-use handle, so the library invokes it exactly once, whatever the Lambda client's
 * retry settings. A loopback Invoke endpoint that runs the "function" and then resets the connection (a lost
 * answer) stands in for Lambda: a retried `complete` would find the handle used and answer `invalid_request`, and
 * the application would send a user who was just connected back to `connect`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { TokenVaultClient, VaultInternalError } from '@token-vault/client';
import { defaultLambdaClient } from '../../packages/client/src/client-options';
import { provesNotRun } from '../../packages/client/src/single-attempt';

const USED = {
  ok: false,
  error: {
    code: 'invalid_request',
    message: 'flowHandle: unknown, expired or already used; start again with connect.',
    retryable: false,
  },
};
const TOKEN = {
  ok: true,
  accessToken: 'at-complete-once-test',
  tokenType: 'Bearer',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  scope: 'read',
};

/** Lambda's throttle: the invocation was refused before the function ran (the handle is untouched). */
const THROTTLE = {
  status: 429,
  headers: { 'x-amzn-errortype': 'TooManyRequestsException', 'retry-after': '0' },
  body: { Type: 'User', message: 'Rate Exceeded.', Reason: 'ConcurrentInvocationLimitExceeded' },
};

/** How the endpoint treats each request, in order: reset the connection after reading it, or answer a payload. */
type Step = 'reset' | { status: number; body: unknown; headers?: Record<string, string> };

let server: Server;
let steps: Step[] = [];
let requests: Array<{ path: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ path: req.url ?? '' });
      const step = steps.shift() ?? { status: 200, body: USED };
      if (step === 'reset') {
        // The function ran (the handle is spent, the user connected); its answer never reaches the caller.
        req.socket.destroy();
        return;
      }
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(JSON.stringify(step.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  steps = [];
  requests = [];
});

const config = () => ({
  endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
});

describe('completeConnection is invoked once', () => {
  it("with the library's default Lambda client: a lost answer is an unknown outcome, not 'handle used'", async () => {
    steps = ['reset'];
    const vault = new TokenVaultClient({ lambda: defaultLambdaClient(65_000, config()) });
    const err = await vault.completeConnection('flow-handle-1', 'alice').catch((e: unknown) => e);
    expect(requests).toHaveLength(1);
    expect(err).toBeInstanceOf(VaultInternalError);
    expect(err).toMatchObject({ code: 'internal_error', retryable: false });
    expect((err as Error).message).toMatch(/may have run.*check status/);
    // The network error itself, for diagnostics.
    expect((err as Error).cause).toMatchObject({ code: 'ECONNRESET' });
  });

  it('with a Lambda client of the caller that retries three times, and on a 5xx the SDK would retry', async () => {
    const lambda = new LambdaClient({ ...config(), maxAttempts: 3 });
    const vault = new TokenVaultClient({ lambda });
    steps = ['reset'];
    expect(await vault.completeConnection('flow-handle-2', 'alice').catch((e: unknown) => e)).toMatchObject({
      name: 'VaultInternalError',
      retryable: false,
    });
    expect(requests).toHaveLength(1);

    requests = [];
    steps = [{ status: 500, body: { Type: 'Service', message: 'internal' } }];
    expect(await vault.completeConnection('flow-handle-3', 'alice').catch((e: unknown) => e)).toMatchObject({
      name: 'VaultInternalError',
      retryable: false,
    });
    expect(requests).toHaveLength(1);
    lambda.destroy();
  });

  it('a retry strategy that retries every error gets its retry refused before anything is sent', async () => {
    let retries = 0;
    const token = { getRetryCount: () => retries, getRetryDelay: () => 0, getRetryCost: () => 0 };
    const retryEverything = {
      acquireInitialRetryToken: () => Promise.resolve(token),
      refreshRetryTokenForRetry: () => {
        retries += 1;
        return retries > 3 ? Promise.reject(new Error('no retry left')) : Promise.resolve(token);
      },
      recordSuccess: () => undefined,
    };
    const lambda = new LambdaClient({ ...config(), retryStrategy: retryEverything });
    steps = ['reset'];
    const err = await new TokenVaultClient({ lambda })
      .completeConnection('flow-handle-5', 'alice')
      .catch((e: unknown) => e);
    expect(retries).toBeGreaterThan(0);
    expect(requests).toHaveLength(1);
    expect(err).toMatchObject({ name: 'VaultInternalError', retryable: false });
    expect((err as Error).cause).toMatchObject({ code: 'ECONNRESET' });
    lambda.destroy();
  });

  it('answers the connection when the answer arrives, and the vault refusing the handle is InvalidRequestError', async () => {
    const vault = new TokenVaultClient({ lambda: defaultLambdaClient(65_000, config()) });
    steps = [{ status: 200, body: { ok: true, applicationId: 'default', reconnected: false } }];
    expect(await vault.completeConnection('flow-handle-4', 'alice')).toEqual({
      ok: true,
      applicationId: 'default',
      reconnected: false,
    });
    steps = [{ status: 200, body: USED }];
    expect(await vault.completeConnection('flow-handle-4', 'alice').catch((e: unknown) => e)).toMatchObject({
      name: 'InvalidRequestError',
    });
    expect(requests).toHaveLength(2);
  });

  it('a throttled complete (Lambda refused it: the function never ran) is retried by the SDK as usual', async () => {
    const vault = new TokenVaultClient({ lambda: defaultLambdaClient(65_000, config()) });
    steps = [THROTTLE, { status: 200, body: { ok: true, applicationId: 'default', reconnected: false } }];
    expect(await vault.completeConnection('flow-handle-t', 'alice')).toEqual({
      ok: true,
      applicationId: 'default',
      reconnected: false,
    });
    expect(requests).toHaveLength(2);
  });

  it('a throttle that lasts is answered retryable, not "may have run"', async () => {
    const vault = new TokenVaultClient({ lambda: defaultLambdaClient(65_000, config()) });
    steps = [THROTTLE, THROTTLE];
    const err = await vault.completeConnection('flow-handle-tt', 'alice').catch((e: unknown) => e);
    expect(requests).toHaveLength(2);
    expect(err).toMatchObject({ name: 'VaultInternalError', retryable: true });
    expect((err as Error).message).not.toMatch(/may have run/);
    expect((err as Error).cause).toMatchObject({ name: 'TooManyRequestsException' });
  });

  it('a complete that was never sent (connection refused) is retryable, not "may have run"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const vault = new TokenVaultClient({
      lambda: defaultLambdaClient(5_000, { ...config(), endpoint: `http://127.0.0.1:${port}` }),
    });
    const err = await vault.completeConnection('flow-handle-r', 'alice').catch((e: unknown) => e);
    // The SDK's retry middleware re-wraps the network error when it comes from another realm (Jest's sandbox), so
    // its message is what is checked.
    expect(String((err as Error).cause)).toMatch(/ECONNREFUSED/);
    expect(err).toMatchObject({ name: 'VaultInternalError', retryable: true });
    expect((err as Error).message).not.toMatch(/may have run/);
  });

  it('after a throttle, the attempt that may have run is still the last one', async () => {
    const lambda = new LambdaClient({ ...config(), maxAttempts: 3 });
    steps = [THROTTLE, 'reset', { status: 200, body: USED }];
    const err = await new TokenVaultClient({ lambda })
      .completeConnection('flow-handle-tr', 'alice')
      .catch((e: unknown) => e);
    expect(requests).toHaveLength(2);
    expect(err).toMatchObject({ name: 'VaultInternalError', retryable: false });
    expect((err as Error).message).toMatch(/may have run/);
    lambda.destroy();
  });

  it('a complete that could not be signed (no credentials) sends nothing and is retryable', async () => {
    const lambda = new LambdaClient({
      ...config(),
      credentials: () => Promise.reject(new Error('no credentials in this test')),
    });
    const err = await new TokenVaultClient({ lambda })
      .completeConnection('flow-handle-c', 'alice')
      .catch((e: unknown) => e);
    expect(requests).toHaveLength(0);
    expect(err).toMatchObject({ name: 'VaultInternalError', retryable: true });
    expect((err as Error).message).not.toMatch(/may have run/);
    lambda.destroy();
  });

  it("the vault's internal_error for complete (after the handle was claimed) is not retryable: check status", async () => {
    const vault = new TokenVaultClient({ lambda: defaultLambdaClient(65_000, config()) });
    steps = [
      {
        status: 200,
        body: { ok: false, error: { code: 'internal_error', message: 'internal error', retryable: true } },
      },
    ];
    const err = await vault.completeConnection('flow-handle-i', 'alice').catch((e: unknown) => e);
    expect(requests).toHaveLength(1);
    expect(err).toMatchObject({ name: 'VaultInternalError', code: 'internal_error', retryable: false });
    expect((err as Error).message).toMatch(/handle may be spent.*check status/);
  });

  it('tells the failures that prove the function did not run from those after which it may have', () => {
    const notRun = [
      Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' }),
      Object.assign(new Error('throttled'), { $metadata: { httpStatusCode: 429 } }),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }),
      Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }),
    ];
    const mayHaveRun = [
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
      Object.assign(new Error('internal'), { name: 'ServiceException', $metadata: { httpStatusCode: 500 } }),
      'not an error',
    ];
    expect(notRun.map(provesNotRun)).toEqual(notRun.map(() => true));
    expect(mayHaveRun.map(provesNotRun)).toEqual(mayHaveRun.map(() => false));
  });

  it('token-fetch, safe to repeat, is still retried by the default client after a lost answer', async () => {
    const vault = new TokenVaultClient({ lambda: defaultLambdaClient(65_000, config()) });
    steps = ['reset', { status: 200, body: TOKEN }];
    expect((await vault.getAccessToken('alice')).expiresAt).toBe(TOKEN.expiresAt);
    expect(requests).toHaveLength(2);
  });
});
