/**
 * Helpers of the caller library tests: the local stack with a counting Lambda client, a user connected through
 * the development provider, and a loopback resource server that checks Bearer tokens by introspection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TokenVaultClient } from '@token-vault/client';
import { completeAuthorization } from '../../local/authorize';
import { awsClientConfig, EMULATOR_CREDENTIALS } from '../../local/aws-clients';
import { DEV_CLIENT_ID } from '../../local/config';
import { startLocalStack, type LocalStack } from '../../local/server';
import { emulatorEndpoint } from '../support/aws';
import { registerSensitive } from '../support/leak-guard';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

export interface ClientStack {
  readonly stack: LocalStack;
  /** The development client's secret, read back from the emulator's Secrets Manager. */
  readonly clientSecret: string;
  stop(): Promise<void>;
}

/** Starts the local stack (once per test file) with the built-in provider and reads its client secret back. */
export async function startClientStack(accessTokenTtlSeconds?: number): Promise<ClientStack> {
  const stack = await startLocalStack({
    port: 0,
    quiet: false,
    prefix: `cli${randomBytes(4).toString('hex')}`,
    env: { AWS_ENDPOINT_URL: emulatorEndpoint(), AWS_REGION: 'us-east-1' },
    ...(accessTokenTtlSeconds === undefined ? {} : { devProvider: { accessTokenTtlSeconds } }),
  });
  const secrets = new SecretsManagerClient(awsClientConfig(stack.endpoint));
  let clientSecret: string;
  try {
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: stack.resources.secretIds.default }));
    clientSecret = secret.SecretString ?? '';
  } finally {
    secrets.destroy();
  }
  registerSensitive(clientSecret);
  return { stack, clientSecret, stop: () => stack.stop() };
}

/** A Lambda client for the stack's Invoke API that counts invokes per function and registers every token it sees. */
export interface CountingLambda {
  readonly client: LambdaClient;
  /** Invokes per function name since creation or the last {@link reset}. */
  readonly invokes: Record<string, number>;
  reset(): void;
}

export function countingLambda(baseUrl: string): CountingLambda {
  const client = new LambdaClient({
    endpoint: baseUrl,
    region: 'us-east-1',
    credentials: { ...EMULATOR_CREDENTIALS },
    maxAttempts: 1,
  });
  const invokes: Record<string, number> = {};
  client.middlewareStack.add(
    (next) => async (args) => {
      const name = String((args.input as { FunctionName?: string }).FunctionName);
      invokes[name] = (invokes[name] ?? 0) + 1;
      const result = await next(args);
      const payload = (result.output as { Payload?: Uint8Array }).Payload;
      if (payload) {
        try {
          const answer = JSON.parse(Buffer.from(payload).toString('utf8')) as { accessToken?: unknown };
          if (typeof answer.accessToken === 'string') registerSensitive(answer.accessToken);
        } catch {
          // not JSON: nothing to register
        }
      }
      return result;
    },
    { step: 'initialize', name: 'countInvokes' },
  );
  return {
    client,
    invokes,
    reset: () => {
      for (const key of Object.keys(invokes)) delete invokes[key];
    },
  };
}

/**
 * connect -> provider (signed in as `userId`) -> callback -> complete (session binding: the local stack's
 * application is bound), through the stack; expects the connection.
 */
export async function connectUser(stack: LocalStack, lambda: LambdaClient, userId: string): Promise<void> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: 'connect',
      Payload: Buffer.from(JSON.stringify({ userId, returnTo: `${stack.baseUrl}/connected` })),
    }),
  );
  const answer = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as {
    ok: boolean;
    authorizationUrl?: string;
  };
  if (!answer.ok || !answer.authorizationUrl) throw new Error(`connect failed: ${JSON.stringify(answer)}`);
  const callbackUrl = await completeAuthorization(answer.authorizationUrl, { loginHint: userId });
  registerSensitive(
    callbackUrl.searchParams.get('code') ?? undefined,
    callbackUrl.searchParams.get('state') ?? undefined,
  );
  const res = await fetch(callbackUrl, { redirect: 'manual' });
  await res.arrayBuffer();
  const location = new URL(res.headers.get('location') ?? '', stack.baseUrl);
  const flowHandle = location.searchParams.get('flow');
  if (location.searchParams.get('status') !== 'pending' || flowHandle === null)
    throw new Error(`callback did not park the flow: ${res.status} ${location.search}`);
  registerSensitive(flowHandle);
  // What the returnTo page's backend does, through the caller library (it throws on a refusal).
  await new TokenVaultClient({ lambda }).completeConnection(flowHandle, userId);
}

/** POSTs a form to a provider endpoint as the development client (client_secret_post). */
export async function postAsClient(
  url: string,
  clientSecret: string,
  form: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const body = new URLSearchParams({ ...form, client_id: DEV_CLIENT_ID, client_secret: clientSecret });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** One request the resource server received. */
export interface Hit {
  readonly path: string;
  readonly status: number;
  /** SHA-256 of the presented token (never the token itself). */
  readonly tokenHash: string | undefined;
}

/** A loopback stand-in for the provider's API. */
export interface ResourceServer {
  /** Base URL, to use as `apiBaseUrl`. */
  readonly url: string;
  readonly hits: Hit[];
  /** The next `count` requests to `path` get 429 with `Retry-After: retryAfter` (omitted when undefined). */
  rateLimit(path: string, count: number, retryAfter?: string): void;
  close(): Promise<void>;
}

/**
 * Routes (all GET, all need a token that introspects `active` at the provider):
 * - `/v1/me`: scope `read`; answers `{ sub, scope }`.
 * - `/v1/admin`: scope `admin` (never granted): 403 `insufficient_scope`.
 * - `/v1/limited`: scope `read`; 429 while a {@link ResourceServer.rateLimit} lasts.
 * A missing, unknown, expired or revoked token gets 401 `WWW-Authenticate: Bearer error="invalid_token"`.
 */
export async function startResourceServer(introspectionUrl: string, clientSecret: string): Promise<ResourceServer> {
  const hits: Hit[] = [];
  const limits = new Map<string, { remaining: number; retryAfter: string | undefined }>();
  const required: Record<string, string> = { '/v1/me': 'read', '/v1/admin': 'admin', '/v1/limited': 'read' };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const auth = req.headers.authorization ?? '';
      const token = /^Bearer (.+)$/.exec(auth)?.[1];
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        hits.push({ path, status, tokenHash: token === undefined ? undefined : sha256(token) });
        res.writeHead(status, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const scope = required[path];
      if (!scope) return answer(404, { error: 'not_found' });
      if (!token) return answer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer realm="api"' });
      const info = await postAsClient(introspectionUrl, clientSecret, { token, token_type_hint: 'access_token' });
      if (info.status !== 200 || info.json.active !== true) {
        return answer(
          401,
          { error: 'invalid_token' },
          {
            'www-authenticate':
              'Bearer realm="api", error="invalid_token", error_description="The access token is invalid or expired"',
          },
        );
      }
      const granted = typeof info.json.scope === 'string' ? info.json.scope.split(' ') : [];
      if (!granted.includes(scope)) {
        return answer(
          403,
          { error: 'insufficient_scope' },
          { 'www-authenticate': `Bearer realm="api", error="insufficient_scope", scope="${scope}"` },
        );
      }
      const limit = limits.get(path);
      if (limit && limit.remaining > 0) {
        limit.remaining -= 1;
        return answer(
          429,
          { error: 'rate_limited' },
          limit.retryAfter === undefined ? {} : { 'retry-after': limit.retryAfter },
        );
      }
      return answer(200, { sub: info.json.sub, scope: info.json.scope });
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    hits,
    rateLimit: (path, count, retryAfter) => {
      limits.set(path, { remaining: count, retryAfter });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
