/**
 * The local stack end to end: the Lambda Invoke API through `@aws-sdk/client-lambda`, the HTTP API routes, and
 * the whole connect -> authorize -> callback -> token-fetch -> revoke flow against the development provider.
 */
import { randomBytes } from 'node:crypto';
import {
  InvalidRequestContentException,
  InvokeCommand,
  LambdaClient,
  RequestTooLargeException,
  ResourceNotFoundException,
  type InvokeCommandInput,
} from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { awsClientConfig, EMULATOR_CREDENTIALS } from '../../local/aws-clients';
import { completeAuthorization } from '../../local/authorize';
import { toHttpApiEvent, writeHttpApiResult } from '../../local/http-api';
import {
  lambdaContext,
  parseFunctionName,
  runHandler,
  unhandledErrorPayload,
  type LoadedFunction,
} from '../../local/lambda-api';
import {
  escapeHtml,
  invokeRoute,
  MAX_BODY_BYTES,
  sendJson,
  startLocalStack,
  type LocalStack,
} from '../../local/server';
import { emulatorEndpoint } from '../support/aws';
import { registerSensitive } from '../support/leak-guard';

let stack: LocalStack;
let lambda: LambdaClient;
/** The development client's secret, read back from the emulator's Secrets Manager. */
let clientSecret: string;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    // Request log lines on: the suite's leak guard checks them for the codes and tokens registered below.
    quiet: false,
    prefix: `srv${randomBytes(4).toString('hex')}`,
    // Only the emulator: no OAUTH_* from the developer's shell, so the built-in provider is used.
    env: { AWS_ENDPOINT_URL: emulatorEndpoint(), AWS_REGION: 'us-east-1' },
  });
  lambda = new LambdaClient({
    endpoint: stack.baseUrl,
    region: 'us-east-1',
    credentials: { ...EMULATOR_CREDENTIALS },
    maxAttempts: 1,
  });
  const secrets = new SecretsManagerClient(awsClientConfig(stack.endpoint));
  try {
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: stack.resources.secretIds.default }));
    clientSecret = secret.SecretString ?? '';
  } finally {
    secrets.destroy();
  }
  registerSensitive(clientSecret);
});

afterAll(async () => {
  lambda?.destroy();
  await stack?.stop();
});

/** The fields of the functions' answers these tests look at (docs/contract.md). */
interface Answer {
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly authorizationUrl?: string;
  readonly expiresAt?: string;
  readonly accessToken?: string;
  readonly tokenType?: string;
  readonly refreshToken?: unknown;
  readonly revoked?: number;
}

interface Invoked {
  readonly answer: Answer;
  readonly functionError: string | undefined;
  readonly executedVersion: string | undefined;
  readonly status: number | undefined;
}

/** Invokes a function and returns its parsed answer along with the SDK output. */
async function invoke(input: InvokeCommandInput & { Payload?: Uint8Array }): Promise<Invoked> {
  const out = await lambda.send(new InvokeCommand(input));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  return {
    answer: JSON.parse(text || 'null') as Answer,
    functionError: out.FunctionError,
    executedVersion: out.ExecutedVersion,
    status: out.StatusCode,
  };
}

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('startLocalStack', () => {
  it('reuses the Jest emulator and provisions under its own prefix', () => {
    expect(stack.endpoint).toBe(emulatorEndpoint());
    expect(stack.ownsEmulator).toBe(false);
    expect(stack.baseUrl).toBe(`http://127.0.0.1:${stack.port}`);
    expect(stack.resources.connectionsTable).toMatch(/^srv[0-9a-f]{8}-Connections$/);
  });

  it('configures the default application for the development provider', () => {
    const provider = stack.devProvider!;
    expect(stack.applications).toEqual([
      {
        applicationId: 'default',
        authorizeUrl: provider.authorizeUrl,
        tokenUrl: provider.tokenUrl,
        revocationUrl: provider.revocationUrl,
        issuer: provider.issuer,
        clientId: 'token-vault-local',
        clientSecretId: stack.resources.secretIds.default,
        scopes: ['read', 'write'],
        tokenEndpointAuth: 'client_secret_post',
        revocationBody: 'form',
        redirectUri: `${stack.baseUrl}/oauth/callback`,
        returnTo: [`${stack.baseUrl}/connected`],
      },
    ]);
  });

  it('hands the functions their configuration through process.env, without the client secret', () => {
    expect(clientSecret.length).toBeGreaterThanOrEqual(32);
    expect(JSON.stringify(process.env)).not.toContain(clientSecret);
    expect(process.env.TOKEN_VAULT_CONNECTIONS_TABLE).toBe(stack.resources.connectionsTable);
    expect(process.env.TOKEN_VAULT_STATES_TABLE).toBe(stack.resources.statesTable);
    expect(process.env.TOKEN_VAULT_KEY_ID).toBe(stack.resources.keyId);
    expect(JSON.parse(process.env.TOKEN_VAULT_APPLICATIONS ?? '')).toEqual(stack.applications);
    expect(process.env.POWERTOOLS_SERVICE_NAME).toBe('token-vault');
    expect(process.env.POWERTOOLS_METRICS_NAMESPACE).toBe('TokenVault');
    expect(process.env.AWS_ENDPOINT_URL).toBe(stack.endpoint);
    expect(process.env.AWS_ACCESS_KEY_ID).toBe(EMULATOR_CREDENTIALS.accessKeyId);
  });

  it('refuses a second start in the same process', async () => {
    await expect(startLocalStack({ port: 0, quiet: true })).rejects.toThrow(
      'the local stack starts once per process: the handlers read their configuration when first loaded',
    );
  });
});

describe('Lambda Invoke API', () => {
  it('answers ResourceNotFoundException for an unknown function', async () => {
    const err = await thrown(() => invoke({ FunctionName: 'no-such-function', Payload: json({}) }));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect((err as ResourceNotFoundException).message).toBe(
      'Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function',
    );
    expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
  });

  it('does not serve the callback (an HTTP API function) through Invoke', async () => {
    const err = await thrown(() => invoke({ FunctionName: FUNCTIONS.callback.name, Payload: json({}) }));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers InvalidRequestContentException for a payload that is not JSON', async () => {
    const err = await thrown(() => invoke({ FunctionName: 'connect', Payload: Buffer.from('{"userId":') }));
    expect(err).toBeInstanceOf(InvalidRequestContentException);
    expect((err as InvalidRequestContentException).$metadata.httpStatusCode).toBe(400);
    expect((err as InvalidRequestContentException).message).toMatch(/^Could not parse request body into json/);
  });

  it('answers RequestTooLargeException (413) for a payload over the limit', async () => {
    const big = json({ userId: 'x'.repeat(MAX_BODY_BYTES) });
    const err = await thrown(() => invoke({ FunctionName: 'connect', Payload: big }));
    expect(err).toBeInstanceOf(RequestTooLargeException);
    expect((err as RequestTooLargeException).$metadata.httpStatusCode).toBe(413);
  });

  it.each([
    ['a name', 'token-fetch'],
    ['a name with a qualifier', 'token-fetch:$LATEST'],
    ['a partial ARN', '123456789012:function:token-fetch'],
    ['a full ARN', 'arn:aws:lambda:us-east-1:123456789012:function:token-fetch'],
    ['a full ARN with an application alias', 'arn:aws:lambda:us-east-1:123456789012:function:token-fetch:app-default'],
  ])('runs the handler for %s', async (_label, name) => {
    const out = await invoke({ FunctionName: name, Payload: json({ userId: 'not connected yet' }) });
    expect(out.status).toBe(200);
    expect(out.executedVersion).toBe('$LATEST');
    expect(out.functionError).toBeUndefined();
    // An expected failure is an answer, not a FunctionError (docs/contract.md).
    expect(out.answer).toEqual({ ok: false, error: expect.objectContaining({ code: 'invalid_request' }) });
  });

  describe('callers scoped to an application (per-application aliases)', () => {
    it('a caller scoped to one application is refused for another, before anything is read', async () => {
      for (const name of ['token-fetch', 'refresh', 'revoke']) {
        const payload =
          name === 'revoke'
            ? { userId: 'scoped-user', applicationId: 'crm', reason: 'user_disconnected' }
            : { userId: 'scoped-user', applicationId: 'crm' };
        const out = await invoke({ FunctionName: name, Qualifier: 'app-default', Payload: json(payload) });
        expect(out.answer).toEqual({
          ok: false,
          error: expect.objectContaining({ code: 'invalid_request', message: expect.stringContaining('alias') }),
        });
      }
    });

    it("without an applicationId, the alias's application is meant", async () => {
      const out = await invoke({ FunctionName: 'token-fetch:app-default', Payload: json({ userId: 'scoped-user' }) });
      expect(out.answer).toEqual({ ok: false, error: expect.objectContaining({ code: 'not_connected' }) });
    });

    it('an alias of no application, or on an unscoped function, is not found (as in Lambda)', async () => {
      for (const name of ['token-fetch:app-crm', 'connect:app-default', 'complete:app-default']) {
        const err = await thrown(() => invoke({ FunctionName: name, Payload: json({ userId: 'scoped-user' }) }));
        expect(err).toBeInstanceOf(ResourceNotFoundException);
      }
    });
  });

  it('answers a DryRun with 204 and an Event with 202 without a payload', async () => {
    const dry = await lambda.send(
      new InvokeCommand({ FunctionName: 'refresh', InvocationType: 'DryRun', Payload: json({}) }),
    );
    expect(dry.StatusCode).toBe(204);
    const event = await lambda.send(
      new InvokeCommand({ FunctionName: 'refresh', InvocationType: 'Event', Payload: json({}) }),
    );
    expect(event.StatusCode).toBe(202);
    expect(event.Payload?.length ?? 0).toBe(0);
  });

  it('answers a handler that throws, times out or returns no JSON with FunctionError Unhandled', async () => {
    // Stand-in functions under another path prefix: the vault's own handlers never throw.
    const standIn = (
      name: string,
      handler: LoadedFunction['handler'],
      timeoutSeconds = 10,
    ): [string, LoadedFunction] => [name, { definition: { ...FUNCTIONS.connect, name, timeoutSeconds }, handler }];
    const functions = new Map([
      standIn('throws', () => Promise.reject(new RangeError('out of range'))),
      standIn('hangs', () => new Promise(() => undefined), 0.05),
      standIn('bigint', () => Promise.resolve({ n: BigInt(1) })),
      standIn('nothing', () => Promise.resolve(undefined)),
    ]);
    stack.addRoute(invokeRoute(functions, /^\/stand-in\/2015-03-31\/functions\/([^/]+)\/invocations$/));
    const standInLambda = new LambdaClient({
      endpoint: `${stack.baseUrl}/stand-in`,
      region: 'us-east-1',
      credentials: { ...EMULATOR_CREDENTIALS },
      maxAttempts: 1,
    });
    try {
      const call = async (name: string): Promise<{ error: string | undefined; payload: unknown }> => {
        const out = await standInLambda.send(new InvokeCommand({ FunctionName: name, Payload: json({}) }));
        expect(out.StatusCode).toBe(200);
        return { error: out.FunctionError, payload: JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) };
      };
      expect(await call('throws')).toEqual({
        error: 'Unhandled',
        payload: { errorType: 'RangeError', errorMessage: 'out of range', trace: expect.any(Array) },
      });
      expect(await call('hangs')).toEqual({
        error: 'Unhandled',
        payload: {
          errorType: 'Sandbox.Timedout',
          errorMessage: expect.stringMatching(/^RequestId: \S+ Error: Task timed out after 0\.05 seconds$/),
        },
      });
      expect(await call('bigint')).toEqual({
        error: 'Unhandled',
        payload: expect.objectContaining({ errorType: 'Runtime.MarshalError' }),
      });
      expect(await call('nothing')).toEqual({ error: undefined, payload: null });
    } finally {
      standInLambda.destroy();
    }
  });

  it('treats an empty payload as {}', async () => {
    const out = await invoke({ FunctionName: 'revoke' });
    expect(out.functionError).toBeUndefined();
    expect(out.answer).toEqual({ ok: false, error: expect.objectContaining({ code: 'invalid_request' }) });
  });
});

describe('HTTP routes', () => {
  it('GET /healthz answers 200', async () => {
    const res = await fetch(`${stack.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /connected shows the status and error, HTML-escaped', async () => {
    const status = '<script>alert("x")</script>';
    const res = await fetch(`${stack.baseUrl}/connected?status=${encodeURIComponent(status)}&error=a%26b`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(html).toContain('a&#38;b');
    expect(html).toContain('<h1>Not connected</h1>');
  });

  it('answers 404 JSON for an unknown path and 405 for a known path with another method', async () => {
    const missing = await fetch(`${stack.baseUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Not Found' });
    const wrong = await fetch(`${stack.baseUrl}/healthz`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    await wrong.arrayBuffer();
  });

  it('serves routes added later (the hook for /dashboard)', async () => {
    stack.addRoute({
      method: 'GET',
      path: /^\/test-route\/([a-z]+)$/,
      handle: (request, res) => Promise.resolve(sendJson(res, 200, { name: request.match?.[1] })),
    });
    const res = await fetch(`${stack.baseUrl}/test-route/abc`);
    expect(await res.json()).toEqual({ name: 'abc' });
  });

  it('builds the API Gateway v2 event as API Gateway does', async () => {
    stack.addRoute({
      method: 'GET',
      path: '/test-event',
      handle: (request, res) =>
        Promise.resolve(
          sendJson(res, 200, toHttpApiEvent(request.raw, request.url, 'GET /test-event', request.requestId)),
        ),
    });
    const res = await fetch(`${stack.baseUrl}/test-event?a=1&a=2&b=x%20y`, {
      headers: { cookie: 'c1=v1; c2=v2', 'X-Test': 'yes' },
    });
    const event = (await res.json()) as { headers: Record<string, string>; requestContext: { time: string } };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /test-event',
      rawPath: '/test-event',
      rawQueryString: 'a=1&a=2&b=x%20y',
      queryStringParameters: { a: '1,2', b: 'x y' },
      cookies: ['c1=v1', 'c2=v2'],
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'GET', path: '/test-event', sourceIp: '127.0.0.1', protocol: 'HTTP/1.1' },
        stage: '$default',
        routeKey: 'GET /test-event',
      },
    });
    expect(event.headers['x-test']).toBe('yes');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('writes a structured result with its cookies as Set-Cookie headers', async () => {
    stack.addRoute({
      method: 'GET',
      path: '/test-result',
      handle: (request, res) =>
        Promise.resolve(
          writeHttpApiResult(
            res,
            {
              statusCode: 302,
              headers: { Location: '/connected?status=connected' },
              cookies: ['a=1; HttpOnly', 'b=2'],
            },
            request.requestId,
          ),
        ),
    });
    const res = await fetch(`${stack.baseUrl}/test-result`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/connected?status=connected');
    expect(res.headers.getSetCookie()).toEqual(['a=1; HttpOnly', 'b=2']);
  });
});

describe('GET /oauth/callback', () => {
  it('hands the request to the callback handler, which refuses an unknown state without echoing the code', async () => {
    const code = `code-${randomBytes(16).toString('hex')}`;
    const state = randomBytes(32).toString('base64url');
    registerSensitive(code, state);
    const res = await fetch(`${stack.baseUrl}/oauth/callback?code=${code}&state=${state}`, { redirect: 'manual' });
    const body = await res.text();
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(500);
    expect(body).not.toContain(code);
    expect(res.headers.get('location') ?? '').not.toContain(code);
  });
});

describe('lambda-api helpers', () => {
  const definition = FUNCTIONS.connect;

  it.each([
    ['connect', { name: 'connect', qualifier: undefined }],
    ['connect:$LATEST', { name: 'connect', qualifier: '$LATEST' }],
    ['123456789012:function:connect', { name: 'connect', qualifier: undefined }],
    ['arn:aws:lambda:eu-west-1:123456789012:function:connect:prod', { name: 'connect', qualifier: 'prod' }],
    ['a:b:c', undefined],
    ['arn:aws:lambda:eu-west-1:123456789012:layer:connect', undefined],
    ['', undefined],
  ])('parses %j', (value, expected) => {
    expect(parseFunctionName(value)).toEqual(expected);
  });

  it('reports a thrown error as the Node.js runtime does', async () => {
    const fn: LoadedFunction = {
      definition,
      handler: () => Promise.reject(new TypeError('boom')),
    };
    const context = lambdaContext(definition, 'req-1', Date.now() + 1000);
    const outcome = await runHandler(fn, {}, context);
    expect(unhandledErrorPayload(outcome, 'req-1', 10)).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
  });

  it('times out like Lambda', async () => {
    const fn: LoadedFunction = { definition, handler: () => new Promise(() => undefined) };
    const context: Context = lambdaContext(definition, 'req-2', Date.now() + 50);
    const outcome = await runHandler(fn, {}, context);
    expect(outcome).toEqual({ kind: 'timed_out' });
    expect(unhandledErrorPayload(outcome, 'req-2', 10)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: req-2 Error: Task timed out after 10.00 seconds',
    });
  });

  it('builds a context with the definition and the remaining time', () => {
    const context = lambdaContext(definition, 'req-3', Date.now() + 5000, 'live');
    expect(context).toMatchObject({
      functionName: 'connect',
      functionVersion: '$LATEST',
      memoryLimitInMB: String(definition.memoryMiB),
      awsRequestId: 'req-3',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:connect:live',
    });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(4000);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(5000);
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});

describe('the whole flow against the development provider', () => {
  const userId = `user-${randomBytes(4).toString('hex')}`;

  it('connects, serves a token, and revokes', async () => {
    const provider = stack.devProvider!;
    await provider.resetStats();

    const connected = await invoke({
      FunctionName: 'connect',
      Payload: json({ userId, returnTo: `${stack.baseUrl}/connected` }),
    });
    expect(connected.functionError).toBeUndefined();
    expect(connected.answer).toMatchObject({
      ok: true,
      authorizationUrl: expect.any(String),
      expiresAt: expect.any(String),
    });

    // The browser's part: the provider approves and sends it to our callback.
    const callbackUrl = await completeAuthorization(connected.answer.authorizationUrl ?? '');
    registerSensitive(
      callbackUrl.searchParams.get('code') ?? undefined,
      callbackUrl.searchParams.get('state') ?? undefined,
    );
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(`${stack.baseUrl}/oauth/callback`);
    expect(callbackUrl.searchParams.get('iss')).toBe(provider.issuer);

    const callback = await fetch(callbackUrl, { redirect: 'manual' });
    await callback.arrayBuffer();
    expect([302, 303]).toContain(callback.status);
    const location = new URL(callback.headers.get('location') ?? '', stack.baseUrl);
    expect(`${location.origin}${location.pathname}`).toBe(`${stack.baseUrl}/connected`);
    // Session binding (on by default): the callback parked the tokens; the page carries a single-use handle.
    expect(location.searchParams.get('status')).toBe('pending');
    const flowHandle = location.searchParams.get('flow') ?? '';
    expect(flowHandle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    registerSensitive(flowHandle);
    const page = await fetch(location);
    const html = await page.text();
    expect(html).toContain('<h1>Almost connected</h1>');
    expect(html).toContain('/2015-03-31/functions/complete/invocations');
    // Nothing is connected before the application's backend completes the flow for its logged-in user.
    const early = await invoke({ FunctionName: 'token-fetch', Payload: json({ userId }) });
    expect(early.answer).toMatchObject({ ok: false, error: { code: 'not_connected' } });

    const completed = await invoke({ FunctionName: 'complete', Payload: json({ flowHandle, userId }) });
    expect(completed.functionError).toBeUndefined();
    expect(completed.answer).toEqual({ ok: true, applicationId: 'default', reconnected: false });
    const again = await invoke({ FunctionName: 'complete', Payload: json({ flowHandle, userId }) });
    expect(again.answer).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

    const fetched = await invoke({ FunctionName: 'token-fetch', Payload: json({ userId }) });
    expect(fetched.functionError).toBeUndefined();
    expect(fetched.answer).toMatchObject({
      ok: true,
      accessToken: expect.any(String),
      tokenType: expect.stringMatching(/^bearer$/i),
    });
    registerSensitive(fetched.answer.accessToken);
    expect(fetched.answer.refreshToken).toBeUndefined();
    expect(Date.parse(fetched.answer.expiresAt ?? '')).toBeGreaterThan(Date.now());
    expect((await provider.stats()).authorizationCodeGrants).toBe(1);

    const revoked = await invoke({ FunctionName: 'revoke', Payload: json({ userId, reason: 'user_disconnected' }) });
    expect(revoked.answer).toEqual({ ok: true, revoked: 1, providerPending: 0 });
    expect((await provider.stats()).revocations).toBeGreaterThanOrEqual(1);

    const after = await invoke({ FunctionName: 'token-fetch', Payload: json({ userId }) });
    expect(after.answer.ok).toBe(false);
    expect(after.answer.accessToken).toBeUndefined();

    // The lifecycle events, read back from the emulator's bus: connected, then revoked (newest last).
    const events = (await (await fetch(`${stack.baseUrl}/events?userId=${userId}`)).json()) as {
      events: Array<{ detailType: string; detail: Record<string, unknown> }>;
    };
    expect(events.events.map((e) => e.detailType)).toEqual(['Connection Connected', 'Connection Revoked']);
    expect(events.events[1]!.detail).toMatchObject({
      userId,
      reason: 'user_disconnected',
      providerRevocation: 'confirmed',
    });
    expect(JSON.stringify(events)).not.toContain(String(fetched.answer.accessToken));
    const status = await invoke({ FunctionName: 'status', Payload: json({ userId }) });
    expect(status.answer).toMatchObject({ ok: true, connections: [{ applicationId: 'default', status: 'revoked' }] });
  });
});
