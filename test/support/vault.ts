/**
 * A whole vault for a test file: fresh AWS resources in the shared emulator, a real OAuth server
 * (oidc-provider with rotation and reuse detection), the functions' environment, the handlers loaded with it,
 * and helpers to drive a user through connect -> provider -> callback.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { FUNCTIONS } from '../../functions/definitions/functions';
import { TUNABLES } from '../../functions/definitions/tunables';
import { Container } from '../../functions/runtime/container';
import { completeAuthorization } from '../../local/authorize';
import { devProviderApplication } from '../../local/config';
import { functionEnvironment } from '../../local/provision';
import { startDevProvider, type DevProvider } from '../../local/dev-provider-process';
import { freshResources, type FreshResources } from './aws';
import { registerSensitive } from './leak-guard';

export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';
export const RETURN_TO = 'https://app.example.test/connected';

export interface VaultOptions {
  readonly accessTokenTtlSeconds?: number;
  readonly refreshTokenTtlSeconds?: number;
  /** Extra function environment (tunables). */
  readonly env?: Record<string, string>;
  readonly tokenEndpointAuth?: 'client_secret_post' | 'client_secret_basic';
  /** Also load the handlers into this process with this environment (one handler set per test file). */
  readonly loadHandlers?: boolean;
}

type InvokeHandler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

export interface Handlers {
  connect: InvokeHandler;
  tokenFetch: InvokeHandler;
  refresh: InvokeHandler;
  revoke: InvokeHandler;
  callback: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
}

export interface Vault {
  readonly resources: FreshResources;
  readonly provider: DevProvider;
  readonly clientSecret: string;
  readonly env: Record<string, string>;
  /** Core services built from `env` (what the handlers build at cold start). */
  readonly container: Container;
  readonly handlers: Handlers;
  /** Invokes a handler the way Lambda would, with a fake context. */
  invoke(name: keyof Omit<Handlers, 'callback'>, payload: unknown): Promise<Record<string, unknown>>;
  /** Runs the provider side of an authorization URL and calls our callback with the result. */
  authorizeAndCallback(authorizationUrl: string, options?: { loginHint?: string; tamper?: (query: URLSearchParams) => void }): Promise<APIGatewayProxyStructuredResultV2>;
  /** connect + provider + callback for a user; expects success. */
  connectUser(userId: string, options?: { loginHint?: string; returnTo?: string }): Promise<void>;
  close(): Promise<void>;
}

const FUNCTION_BY_NAME = new Map(Object.values(FUNCTIONS).map((f) => [f.name as string, f]));

/** A Lambda context whose remaining time counts down from the function's timeout, as in Lambda. */
export const fakeContext = (functionName: string): Context => {
  const deadline = Date.now() + (FUNCTION_BY_NAME.get(functionName)?.timeoutSeconds ?? FUNCTIONS.tokenFetch.timeoutSeconds) * 1000;
  return {
    functionName,
    functionVersion: '$LATEST',
    awsRequestId: randomBytes(8).toString('hex'),
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

export function callbackEvent(rawQueryString: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET /oauth/callback',
    rawPath: '/oauth/callback',
    rawQueryString,
    headers: {},
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path: '/oauth/callback', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' } },
  } as unknown as APIGatewayProxyEventV2;
}

/** Loads a handler module after the environment is set (handlers read it at cold start, like in Lambda). */
function loadHandler(path: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path) as { handler: unknown }).handler;
}

export async function startVault(options: VaultOptions = {}): Promise<Vault> {
  const clientSecret = `cs-${randomBytes(24).toString('base64url')}`;
  registerSensitive(clientSecret);
  const clientId = `client-${randomBytes(4).toString('hex')}`;
  const provider = await startDevProvider({
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: options.tokenEndpointAuth ?? 'client_secret_post' }],
    ...(options.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
    ...(options.refreshTokenTtlSeconds === undefined ? {} : { refreshTokenTtlSeconds: options.refreshTokenTtlSeconds }),
  });
  const resources = await freshResources([{ applicationId: 'default', clientSecret }]);
  const application = devProviderApplication(provider, {
    clientId,
    clientSecretId: resources.secretIds.default!,
    redirectUri: REDIRECT_URI,
    returnTo: [RETURN_TO],
    tokenEndpointAuth: options.tokenEndpointAuth ?? 'client_secret_post',
  });
  const env: Record<string, string> = {
    ...functionEnvironment(resources, [application]),
    [TUNABLES.providerTimeoutMs.env]: '2000',
    // The emulator answers one request at a time (local/moto_server.py); under a loaded 2-core CI machine a
    // storm's requests queue. The budget still fits the time model (checked at cold start like in Lambda).
    [TUNABLES.awsCallTimeoutMs.env]: '2500',
    ...options.env,
  };
  const container = new Container({ ...process.env, ...env });
  let handlers: Handlers | undefined;
  if (options.loadHandlers ?? true) {
    Object.assign(process.env, env);
    handlers = {
      connect: loadHandler('../../functions/handlers/connect') as InvokeHandler,
      tokenFetch: loadHandler('../../functions/handlers/token-fetch') as InvokeHandler,
      refresh: loadHandler('../../functions/handlers/refresh') as InvokeHandler,
      revoke: loadHandler('../../functions/handlers/revoke') as InvokeHandler,
      callback: loadHandler('../../functions/handlers/callback') as Handlers['callback'],
    };
  }
  const requireHandlers = (): Handlers => {
    if (!handlers) throw new Error('startVault({ loadHandlers: false }) has no handlers');
    return handlers;
  };

  const vault: Vault = {
    resources,
    provider,
    clientSecret,
    env,
    container,
    get handlers() {
      return requireHandlers();
    },
    async invoke(name, payload) {
      const answer = await requireHandlers()[name](payload, fakeContext(name));
      if (answer.ok === true && typeof answer.accessToken === 'string') registerSensitive(answer.accessToken);
      return answer;
    },
    async authorizeAndCallback(authorizationUrl, opts = {}) {
      const redirect = await completeAuthorization(authorizationUrl, opts.loginHint === undefined ? {} : { loginHint: opts.loginHint });
      registerSensitive(redirect.searchParams.get('code') ?? undefined, redirect.searchParams.get('state') ?? undefined);
      const query = new URLSearchParams(redirect.search);
      opts.tamper?.(query);
      return requireHandlers().callback(callbackEvent(query.toString()), fakeContext('callback'));
    },
    async connectUser(userId, opts = {}) {
      const started = await vault.invoke('connect', { userId, ...(opts.returnTo === undefined ? {} : { returnTo: opts.returnTo }) });
      if (started.ok !== true) throw new Error(`connect failed: ${JSON.stringify(started)}`);
      const response = await vault.authorizeAndCallback(String(started.authorizationUrl), { loginHint: opts.loginHint ?? userId });
      const ok = opts.returnTo === undefined ? response.statusCode === 200 : String(response.headers?.location).includes('status=connected');
      if (!ok) throw new Error(`callback did not connect: ${response.statusCode} ${String(response.headers?.location)}`);
    },
    async close() {
      await provider.stop();
      resources.close();
    },
  };
  return vault;
}
