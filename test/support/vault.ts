/**
 * A whole vault for a test file: fresh AWS resources in the shared emulator, a real OAuth authorization server,
 * the functions' environment, the handlers loaded with it, and helpers to drive a user through
 * connect -> server -> callback.
 *
 * Two servers, both with refresh-token rotation and reuse detection:
 * - `oidc-provider` (default): the development provider (local/dev-provider.mjs), one process per vault, with
 *   test controls of its own (faults, quirks: {@link OidcProviderVault.provider}).
 * - `keycloak`: the run's Keycloak (started by global-setup.ts), a realm of its own per vault with strict rotation,
 *   a confidential client (PKCE S256 required, `offline_access`), users created on demand and logged in through
 *   Keycloak's login form (local/keycloak/).
 * What the suites ask of either server goes through {@link AuthorizationServer} (`vault.server`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import type { ApplicationConfigInput } from '@token-vault/cdk/src/definitions/applications';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { completeAuthorization } from '../../local/authorize';
import { devProviderApplication } from '../../local/dev-application';
import { awsClientConfig } from '../../local/aws-clients';
import { functionEnvironment } from '../../local/provision';
import { RefreshWork } from '../../local/refresh-work';
import { startDevProvider, type DevProvider } from '../../local/dev-provider-process';
import { KeycloakAdmin, type KeycloakEvent, type KeycloakRealmAdmin } from '../../local/keycloak/admin';
import { keycloakApplication } from '../../local/keycloak/application';
import { keycloakLogin } from '../../local/keycloak/login';
import { freshResources, type FreshResources } from './aws';
import { KEYCLOAK_ENV } from './global-setup';
import { registerSensitive } from './leak-guard';

export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';
export const RETURN_TO = 'https://app.example.test/connected';

/** The authorization servers a vault can run against. */
export type ServerKind = 'oidc-provider' | 'keycloak';
/** Both, for `describe.each(SERVERS)`. */
export const SERVERS: readonly ServerKind[] = ['oidc-provider', 'keycloak'];

export interface VaultOptions<S extends ServerKind = ServerKind> {
  /** @default 'oidc-provider' */
  readonly server?: S;
  /** Access token lifetime (default: oidc-provider 3600 s, Keycloak 300 s, the realm's access token lifespan). */
  readonly accessTokenTtlSeconds?: number;
  /**
   * Refresh token lifetime (default: oidc-provider 30 days; Keycloak 600 s for online refresh tokens and 3600 s
   * for offline ones, its session idle timeouts, both set to this value when given).
   */
  readonly refreshTokenTtlSeconds?: number;
  /** Extra function environment (tunables). */
  readonly env?: Record<string, string>;
  readonly tokenEndpointAuth?: 'client_secret_post' | 'client_secret_basic';
  /** Scopes the application asks for (default: oidc-provider's development scopes; Keycloak `openid offline_access`). */
  readonly scopes?: readonly string[];
  /**
   * Also load the handlers into this process with this environment. The first vault of a test file loads them
   * as modules of the file (its environment merged into process.env); a later one loads a separate copy of the
   * handler modules with an environment of its own (jest.isolateModules), so a file can run both servers.
   */
  readonly loadHandlers?: boolean;
  /**
   * Session binding of the application (README "Session binding"). The product's default is on; the suites about
   * the connection lifecycle run the callback's direct save, so here the default is off and the session-binding
   * suite turns it on.
   * @default false
   */
  readonly sessionBinding?: boolean;
}

type InvokeHandler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

export interface Handlers {
  connect: InvokeHandler;
  tokenFetch: InvokeHandler;
  refresh: InvokeHandler;
  revoke: InvokeHandler;
  /** refresh-sweep (the schedule's target) and refresh-worker (the queue's consumer). */
  sweep: InvokeHandler;
  refreshWorker: (event: unknown, context: Context) => Promise<unknown>;
  status: InvokeHandler;
  importConnection: InvokeHandler;
  complete: InvokeHandler;
  callback: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
}

/**
 * What the authorization server counted since the vault started or since {@link AuthorizationServer.resetStats}
 * (oidc-provider: its own counters, a superset of these; Keycloak: the realm's stored events of the vault's client).
 */
export interface ServerStats {
  /** Successful authorization_code grants (Keycloak: CODE_TO_TOKEN). */
  readonly authorizationCodeGrants: number;
  /** Successful refresh_token grants (Keycloak: REFRESH_TOKEN). */
  readonly refreshGrants: number;
  /** refresh_token grants answered with an OAuth error (Keycloak: REFRESH_TOKEN_ERROR). */
  readonly refreshFailures: number;
  /** Already-rotated refresh tokens presented again (Keycloak: REFRESH_TOKEN_ERROR for exceeded reuse). */
  readonly reuseDetected: number;
  /** Revocations (oidc-provider: requests answered 200; Keycloak: REVOKE_GRANT). */
  readonly revocations: number;
  /**
   * Token endpoint requests (oidc-provider: every one, faulted ones included; Keycloak: code and refresh grants,
   * failed ones included, as its events record them).
   */
  readonly tokenRequests: number;
}

/** An RFC 7662 introspection answer. */
export interface Introspection {
  readonly [claim: string]: unknown;
  readonly active: boolean;
}

/** The outcome of a refresh_token grant sent straight to the server; the tokens are never returned. */
export interface RefreshGrantOutcome {
  readonly status: number;
  readonly error?: string;
  readonly description?: string;
}

/** The server-neutral test controls of a vault's authorization server. */
export interface AuthorizationServer {
  readonly kind: ServerKind;
  /** The issuer (`iss`) the vault checks. */
  readonly issuer: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  /** The vault application's client at the server. */
  readonly clientId: string;
  stats(): Promise<ServerStats>;
  /** Counters start from zero again (Keycloak: the realm's events are deleted). */
  resetStats(): Promise<void>;
  /**
   * Ends what lets the user's refresh tokens work, so that the vault's next refresh answers `invalid_grant`
   * (oidc-provider: withdraws the account's grants; Keycloak: ends the user's sessions, offline ones included).
   * Resolves to how many grants or sessions ended (0: the user had none).
   */
  endUserSessions(userId: string): Promise<number>;
  /** Introspects a token as the vault's client (`hint` as RFC 7662 `token_type_hint`; Keycloak needs it for refresh tokens). */
  introspect(token: string, hint?: 'access_token' | 'refresh_token'): Promise<Introspection>;
  /** Whether the server still accepts this refresh token (introspection: it is not used up by asking). */
  isRefreshTokenActive(refreshToken: string): Promise<boolean>;
  /**
   * A refresh_token grant sent straight to the token endpoint as the vault's client. It consumes a live token
   * (rotation), and presenting a rotated-out one triggers reuse detection: for dead tokens and reuse tests.
   */
  refreshGrant(refreshToken: string): Promise<RefreshGrantOutcome>;
}

/** Keycloak-only parts of a Keycloak vault. */
export interface KeycloakParts {
  /** The vault's own realm (admin API). */
  readonly realm: KeycloakRealmAdmin;
  /** The Keycloak username of a vault userId (Keycloak wants 3+ characters, lower case). */
  username(userId: string): string;
  /** Creates the user for a vault userId unless it exists; resolves to the username. */
  ensureUser(userId: string): Promise<string>;
  /** Logs the user in through Keycloak's login form; resolves to the redirect to the client (not requested). */
  login(authorizationUrl: string, userId: string): Promise<URL>;
  /** The realm's stored events of the vault's client, newest first. */
  events(...types: string[]): Promise<KeycloakEvent[]>;
}

interface VaultBase {
  readonly kind: ServerKind;
  readonly server: AuthorizationServer;
  readonly resources: FreshResources;
  readonly clientSecret: string;
  readonly env: Record<string, string>;
  /** Core services built from `env` (what the handlers build at cold start). */
  readonly container: Container;
  readonly handlers: Handlers;
  /** Invokes a handler the way Lambda would, with a fake context. */
  invoke(name: keyof Omit<Handlers, 'callback' | 'refreshWorker'>, payload: unknown): Promise<Record<string, unknown>>;
  /** The refresh queue's event source, driving this vault's sweep and refresh worker (local/refresh-work.ts). */
  readonly refreshWork: RefreshWork;
  /**
   * One scheduled sweep, then the worker until the queue is empty: what the schedule and the event source do
   * within a minute. Answers the sweep's answer and what the worker received and left failed.
   */
  sweep(): Promise<{ sweep: Record<string, unknown>; received: number; failed: number }>;
  /**
   * Runs the server side of an authorization URL and calls our callback with the result. `loginHint` is the
   * user who logs in (oidc-provider: its account id, `deny` refuses; Keycloak: the vault userId of a user
   * created on demand, default `tester`).
   */
  authorizeAndCallback(
    authorizationUrl: string,
    options?: { loginHint?: string; tamper?: (query: URLSearchParams) => void },
  ): Promise<APIGatewayProxyStructuredResultV2>;
  /**
   * connect + server + callback for a user (logging in as `loginHint`, default the userId); expects success. With
   * session binding, the pending redirect's handle is completed for `completeAs` (default the userId).
   */
  connectUser(userId: string, options?: { loginHint?: string; returnTo?: string; completeAs?: string }): Promise<void>;
  close(): Promise<void>;
}

export interface OidcProviderVault extends VaultBase {
  readonly kind: 'oidc-provider';
  /** The development provider itself: stats, faults, quirks, grant revocation. */
  readonly provider: DevProvider;
}

export interface KeycloakVault extends VaultBase {
  readonly kind: 'keycloak';
  readonly keycloak: KeycloakParts;
}

/** A vault against server `S`; `Vault<ServerKind>` is either (narrow with `vault.kind`). */
export type Vault<S extends ServerKind = 'oidc-provider'> = S extends 'keycloak' ? KeycloakVault : OidcProviderVault;
export type AnyVault = Vault<ServerKind>;

const FUNCTION_BY_NAME = new Map(Object.values(FUNCTIONS).map((f) => [f.name as string, f]));

/** A Lambda context whose remaining time counts down from the function's timeout, as in Lambda. */
export const fakeContext = (functionName: string): Context => {
  const deadline =
    Date.now() + (FUNCTION_BY_NAME.get(functionName)?.timeoutSeconds ?? FUNCTIONS.tokenFetch.timeoutSeconds) * 1000;
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
    requestContext: {
      http: { method: 'GET', path: '/oauth/callback', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
    },
  } as unknown as APIGatewayProxyEventV2;
}

/** The environment before any vault of this test file merged its own into it. */
const BASE_ENV: NodeJS.ProcessEnv = { ...process.env };
/** Handler sets loaded by this test file (module registry). */
let handlerSets = 0;

/**
 * Where the handlers come from. By default their TypeScript sources (packages/cdk/functions/handlers). With
 * `TOKEN_VAULT_TEST_BUNDLES=<folder>` (relative to the repository, e.g. `packages/cdk/assets`), the prebuilt
 * bundles `<folder>/<function name>/index.js` that @token-vault/cdk ships, loaded as Lambda loads them (`npm run
 * test:lambda` runs the functions' suites so, on Lambda's Node major).
 */
export const HANDLER_BUNDLES = process.env.TOKEN_VAULT_TEST_BUNDLES
  ? resolve(__dirname, '..', '..', process.env.TOKEN_VAULT_TEST_BUNDLES)
  : undefined;

/** Loads a handler module (handlers read the environment at cold start, i.e. when the module loads, like in Lambda). */
function loadHandler(key: keyof Handlers): unknown {
  const definition = FUNCTIONS[key];
  const path =
    HANDLER_BUNDLES === undefined
      ? `@token-vault/cdk/${definition.entry.replace(/\.ts$/, '')}`
      : join(HANDLER_BUNDLES, definition.name, 'index.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path) as { handler: unknown }).handler;
}

function requireHandlers(): Handlers {
  return {
    connect: loadHandler('connect') as InvokeHandler,
    tokenFetch: loadHandler('tokenFetch') as InvokeHandler,
    refresh: loadHandler('refresh') as InvokeHandler,
    revoke: loadHandler('revoke') as InvokeHandler,
    sweep: loadHandler('sweep') as InvokeHandler,
    refreshWorker: loadHandler('refreshWorker') as Handlers['refreshWorker'],
    status: loadHandler('status') as InvokeHandler,
    importConnection: loadHandler('importConnection') as InvokeHandler,
    complete: loadHandler('complete') as InvokeHandler,
    callback: loadHandler('callback') as Handlers['callback'],
  };
}

/**
 * The first set: the handler modules of this file, with the environment merged into process.env (as before; tests
 * and worker processes may read it there). Later sets: the module registry already holds handlers built for the
 * first environment, so a fresh copy of the handler modules is loaded in isolation, while process.env is an
 * object of its own: their containers keep that object, and the first set's environment stays untouched.
 */
function loadHandlerSet(env: Record<string, string>): Handlers {
  handlerSets += 1;
  if (handlerSets === 1) {
    Object.assign(process.env, env);
    return requireHandlers();
  }
  const shared = process.env;
  let handlers: Handlers | undefined;
  process.env = { ...BASE_ENV, ...env };
  try {
    jest.isolateModules(() => {
      handlers = requireHandlers();
    });
  } finally {
    process.env = shared;
  }
  return handlers!;
}

interface ServerSetup {
  readonly server: AuthorizationServer;
  /** The application's configuration, given its client secret's id. */
  application(clientSecretId: string): ApplicationConfigInput;
  /** Runs the server side of an authorization URL; resolves to the redirect to the client. */
  authorize(authorizationUrl: string, loginHint: string | undefined): Promise<URL>;
  close(): Promise<void>;
}

export async function startVault<S extends ServerKind = 'oidc-provider'>(
  options: VaultOptions<S> = {},
): Promise<Vault<S>> {
  const kind: ServerKind = options.server ?? 'oidc-provider';
  const clientSecret = `cs-${randomBytes(24).toString('base64url')}`;
  registerSensitive(clientSecret);
  const clientId = `client-${randomBytes(4).toString('hex')}`;
  const tokenEndpointAuth = options.tokenEndpointAuth ?? 'client_secret_post';
  const client: ClientCredentials = { clientId, clientSecret, tokenEndpointAuth };

  // The server and the AWS resources are independent: set up together.
  const [setup, resources] = await settleBoth<
    ServerSetup & ({ readonly provider: DevProvider } | { readonly keycloak: KeycloakParts }),
    FreshResources
  >(
    kind === 'keycloak' ? setUpKeycloak(client, options) : setUpOidcProvider(client, options),
    freshResources([{ applicationId: 'default', clientSecret }]),
    (s) => s.close(),
    (r) => r.close(),
  );
  const application = {
    ...setup.application(resources.secretIds.default!),
    sessionBinding: options.sessionBinding ?? false,
    // The development provider makes a grant per authorization: a bound flow's unclaimed grant may be revoked.
    ...(options.sessionBinding ? { revokeReplacedRefreshTokens: true } : {}),
  };
  const env: Record<string, string> = {
    ...functionEnvironment(resources, [application]),
    [TUNABLES.providerTimeoutMs.env]: '2000',
    // The emulator answers one request at a time (local/moto_server.py); under a loaded 2-core CI machine a
    // storm's requests queue. The budget still fits the time model (checked at cold start like in Lambda).
    [TUNABLES.awsCallTimeoutMs.env]: '2500',
    ...options.env,
  };
  const container = new Container({ ...process.env, ...env });
  const handlers = (options.loadHandlers ?? true) ? loadHandlerSet(env) : undefined;
  const requireLoaded = (): Handlers => {
    if (!handlers) throw new Error('startVault({ loadHandlers: false }) has no handlers');
    return handlers;
  };

  const sqs = new SQSClient(awsClientConfig(resources.endpoint));
  const refreshWork = new RefreshWork({
    sqs,
    queueUrl: resources.refreshQueueUrl,
    sweep: (event) => requireLoaded().sweep(event, fakeContext(FUNCTIONS.sweep.name)),
    worker: (event) => requireLoaded().refreshWorker(event, fakeContext(FUNCTIONS.refreshWorker.name)),
  });
  const base: VaultBase = {
    refreshWork,
    async sweep() {
      const sweep = (await refreshWork.sweep()) as Record<string, unknown>;
      return { sweep, ...(await refreshWork.drain()) };
    },
    kind,
    server: setup.server,
    resources,
    clientSecret,
    env,
    container,
    get handlers() {
      return requireLoaded();
    },
    async invoke(name, payload) {
      const answer = await requireLoaded()[name](payload, fakeContext(name));
      if (answer.ok === true && typeof answer.accessToken === 'string') registerSensitive(answer.accessToken);
      return answer;
    },
    async authorizeAndCallback(authorizationUrl, opts = {}) {
      const redirect = await setup.authorize(authorizationUrl, opts.loginHint);
      registerSensitive(
        redirect.searchParams.get('code') ?? undefined,
        redirect.searchParams.get('state') ?? undefined,
      );
      const query = new URLSearchParams(redirect.search);
      opts.tamper?.(query);
      return requireLoaded().callback(callbackEvent(query.toString()), fakeContext('callback'));
    },
    async connectUser(userId, opts = {}) {
      const returnTo = opts.returnTo ?? (application.sessionBinding ? RETURN_TO : undefined);
      const started = await base.invoke('connect', { userId, ...(returnTo === undefined ? {} : { returnTo }) });
      if (started.ok !== true) throw new Error(`connect failed: ${JSON.stringify(started)}`);
      const response = await base.authorizeAndCallback(String(started.authorizationUrl), {
        loginHint: opts.loginHint ?? userId,
      });
      if (application.sessionBinding) {
        const location = new URL(String(response.headers?.location));
        const flowHandle = location.searchParams.get('flow');
        if (location.searchParams.get('status') !== 'pending' || flowHandle === null)
          throw new Error(`callback did not park the flow: ${response.statusCode} ${location.search}`);
        registerSensitive(flowHandle);
        const completed = await base.invoke('complete', { flowHandle, userId: opts.completeAs ?? userId });
        if (completed.ok !== true) throw new Error(`complete failed: ${JSON.stringify(completed)}`);
        return;
      }
      const ok =
        returnTo === undefined
          ? response.statusCode === 200
          : String(response.headers?.location).includes('status=connected');
      if (!ok)
        throw new Error(`callback did not connect: ${response.statusCode} ${String(response.headers?.location)}`);
    },
    async close() {
      try {
        // The server, and this vault's tables: the run's emulator is shared by every test file, and a table list
        // read without paging (ListTables answers 100 at most) must stay short. Key and secrets cost nothing.
        const [server] = await Promise.allSettled([
          setup.close(),
          ...[resources.connectionsTable, resources.statesTable].map((TableName) =>
            resources.ddb.send(new DeleteTableCommand({ TableName })),
          ),
          ...[resources.refreshQueueUrl, resources.refreshDeadLetterQueueUrl].map((QueueUrl) =>
            sqs.send(new DeleteQueueCommand({ QueueUrl })),
          ),
        ]);
        if (server.status === 'rejected') throw server.reason;
      } finally {
        sqs.destroy();
        resources.close();
      }
    },
  };
  // Property descriptors (the `handlers` getter) must survive: extend the object instead of spreading it.
  const vault = Object.assign(base, 'provider' in setup ? { provider: setup.provider } : { keycloak: setup.keycloak });
  return vault as unknown as Vault<S>;
}

/** Both promises, or neither: when one fails, what the other made is released and the failure is thrown. */
async function settleBoth<A, B>(
  a: Promise<A>,
  b: Promise<B>,
  releaseA: (value: A) => Promise<void> | void,
  releaseB: (value: B) => Promise<void> | void,
): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'fulfilled' && rb.status === 'fulfilled') return [ra.value, rb.value];
  if (ra.status === 'fulfilled') await releaseA(ra.value);
  if (rb.status === 'fulfilled') await releaseB(rb.value);
  throw ra.status === 'rejected' ? ra.reason : (rb as PromiseRejectedResult).reason;
}

// ------------------------------------------------------------------------------------------- oidc-provider

async function setUpOidcProvider(
  client: ClientCredentials,
  options: VaultOptions,
): Promise<ServerSetup & { readonly provider: DevProvider }> {
  const provider = await startDevProvider({
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: client.tokenEndpointAuth,
      },
    ],
    ...(options.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
    ...(options.refreshTokenTtlSeconds === undefined ? {} : { refreshTokenTtlSeconds: options.refreshTokenTtlSeconds }),
  });
  const server: AuthorizationServer = {
    kind: 'oidc-provider',
    issuer: provider.issuer,
    authorizeUrl: provider.authorizeUrl,
    tokenUrl: provider.tokenUrl,
    clientId: client.clientId,
    stats: () => provider.stats(),
    resetStats: () => provider.resetStats(),
    endUserSessions: (userId) => provider.revokeGrants(userId),
    introspect: (token, hint) => introspect(provider.introspectionUrl, client, token, hint),
    isRefreshTokenActive: async (token) =>
      (await introspect(provider.introspectionUrl, client, token, 'refresh_token')).active === true,
    refreshGrant: (token) => refreshGrant(provider.tokenUrl, client, token),
  };
  return {
    provider,
    server,
    application: (clientSecretId) =>
      devProviderApplication(provider, {
        clientId: client.clientId,
        clientSecretId,
        redirectUri: REDIRECT_URI,
        returnTo: [RETURN_TO],
        tokenEndpointAuth: client.tokenEndpointAuth,
        ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      }),
    authorize: (authorizationUrl, loginHint) =>
      completeAuthorization(authorizationUrl, loginHint === undefined ? {} : { loginHint }),
    close: () => provider.stop(),
  };
}

// ------------------------------------------------------------------------------------------- Keycloak

/** The run's Keycloak, from the variables global-setup.ts sets. */
function keycloakTarget(): { baseUrl: string; adminUsername: string; adminPassword: string } {
  const baseUrl = process.env[KEYCLOAK_ENV.baseUrl];
  const adminUsername = process.env[KEYCLOAK_ENV.adminUsername];
  const adminPassword = process.env[KEYCLOAK_ENV.adminPassword];
  if (!baseUrl || !adminUsername || !adminPassword) {
    throw new Error(
      `no Keycloak for this test run: ${KEYCLOAK_ENV.baseUrl} and its admin credentials are set by test/support/global-setup.ts (run the tests through jest)`,
    );
  }
  registerSensitive(adminPassword);
  return { baseUrl, adminUsername, adminPassword };
}

/** A vault userId as a Keycloak username: itself when Keycloak keeps it as it is (3+ characters, lower case), else a digest. */
function keycloakUsername(userId: string): string {
  return /^[a-z0-9][a-z0-9._-]{2,63}$/.test(userId)
    ? userId
    : `user-${createHash('sha256').update(userId).digest('hex').slice(0, 24)}`;
}

/** Who logs in when the test names nobody. */
const DEFAULT_KEYCLOAK_USER = 'tester';

async function setUpKeycloak(
  client: ClientCredentials,
  options: VaultOptions,
): Promise<ServerSetup & { readonly keycloak: KeycloakParts }> {
  const admin = new KeycloakAdmin(keycloakTarget());
  // Unique per vault: test files (and vaults within one) never see each other's users, sessions or events.
  const realmName = `vault-${randomBytes(5).toString('hex')}`;
  const ttl = options.refreshTokenTtlSeconds;
  const realm = await admin.createRealm({
    realm: realmName,
    accessTokenLifespanSeconds: options.accessTokenTtlSeconds ?? 300,
    ...(ttl === undefined
      ? {}
      : {
          ssoSessionIdleTimeoutSeconds: ttl,
          offlineSessionIdleTimeoutSeconds: ttl,
          ssoSessionMaxLifespanSeconds: Math.max(ttl, 3600),
        }),
  });
  const users = new Map<string, Promise<{ username: string; password: string }>>();
  try {
    await realm.createClient({
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUri: REDIRECT_URI,
    });
  } catch (err) {
    await realm.delete().catch(() => undefined);
    throw err;
  }

  const ensureUser = (userId: string): Promise<{ username: string; password: string }> => {
    let user = users.get(userId);
    if (!user) {
      const username = keycloakUsername(userId);
      const password = `pw-${randomBytes(12).toString('base64url')}`;
      registerSensitive(password);
      user = realm.createUser({ username, password }).then(() => ({ username, password }));
      // A failed creation may be retried by the next caller.
      user.catch(() => users.delete(userId));
      users.set(userId, user);
    }
    return user;
  };
  const login = async (authorizationUrl: string, userId: string): Promise<URL> => {
    const { username, password } = await ensureUser(userId);
    return keycloakLogin(authorizationUrl, { username, password, redirectUri: REDIRECT_URI });
  };
  const events = (...types: string[]): Promise<KeycloakEvent[]> =>
    realm.listEvents({ clientId: client.clientId, types });

  const endpoints = realm.endpoints;
  const server: AuthorizationServer = {
    kind: 'keycloak',
    issuer: endpoints.issuer,
    authorizeUrl: endpoints.authorizeUrl,
    tokenUrl: endpoints.tokenUrl,
    clientId: client.clientId,
    stats: async () => {
      const all = await events();
      const count = (...types: string[]): number => all.filter((e) => types.includes(e.type)).length;
      return {
        authorizationCodeGrants: count('CODE_TO_TOKEN'),
        refreshGrants: count('REFRESH_TOKEN'),
        refreshFailures: count('REFRESH_TOKEN_ERROR'),
        reuseDetected: all.filter((e) => e.type === 'REFRESH_TOKEN_ERROR' && /reuse/i.test(e.details?.reason ?? ''))
          .length,
        revocations: count('REVOKE_GRANT'),
        tokenRequests: count('CODE_TO_TOKEN', 'CODE_TO_TOKEN_ERROR', 'REFRESH_TOKEN', 'REFRESH_TOKEN_ERROR'),
      };
    },
    resetStats: () => realm.clearEvents(),
    endUserSessions: async (userId) => {
      if (!users.has(userId)) return 0;
      const ended = await realm.endUserSessions((await ensureUser(userId)).username);
      return ended.sessions + ended.offlineClients.length;
    },
    introspect: (token, hint) => introspect(endpoints.introspectionUrl, client, token, hint),
    isRefreshTokenActive: async (token) =>
      (await introspect(endpoints.introspectionUrl, client, token, 'refresh_token')).active === true,
    refreshGrant: (token) => refreshGrant(endpoints.tokenUrl, client, token),
  };
  return {
    server,
    keycloak: {
      realm,
      username: keycloakUsername,
      ensureUser: async (userId) => (await ensureUser(userId)).username,
      login,
      events,
    },
    application: (clientSecretId) =>
      keycloakApplication(endpoints, {
        applicationId: 'default',
        clientId: client.clientId,
        clientSecretId,
        redirectUri: REDIRECT_URI,
        returnTo: [RETURN_TO],
        tokenEndpointAuth: client.tokenEndpointAuth,
        ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      }),
    authorize: (authorizationUrl, loginHint) => login(authorizationUrl, loginHint ?? DEFAULT_KEYCLOAK_USER),
    // The realm goes with its clients, users, sessions and events; the server stays for the other test files.
    close: () => realm.delete(),
  };
}

// ------------------------------------------------------------------------------------------- OAuth requests

interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenEndpointAuth: 'client_secret_post' | 'client_secret_basic';
}

/** A form POST authenticated as the client, the way the client authenticates at the token endpoint. */
async function postAsClient(
  url: string,
  client: ClientCredentials,
  fields: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams(fields);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client.tokenEndpointAuth === 'client_secret_basic') {
    const encode = (value: string): string => encodeURIComponent(value);
    headers.authorization = `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', client.clientId);
    form.set('client_secret', client.clientSecret);
  }
  const res = await fetch(url, { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    // not JSON: only the status counts
  }
  return { status: res.status, body };
}

async function introspect(
  url: string,
  client: ClientCredentials,
  token: string,
  hint?: 'access_token' | 'refresh_token',
): Promise<Introspection> {
  const { status, body } = await postAsClient(url, client, {
    token,
    ...(hint === undefined ? {} : { token_type_hint: hint }),
  });
  if (status !== 200 || typeof body.active !== 'boolean')
    throw new Error(`introspection answered HTTP ${status}${typeof body.error === 'string' ? ` ${body.error}` : ''}`);
  return body as Introspection;
}

async function refreshGrant(
  url: string,
  client: ClientCredentials,
  refreshToken: string,
): Promise<RefreshGrantOutcome> {
  const { status, body } = await postAsClient(url, client, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  });
  for (const field of ['access_token', 'refresh_token', 'id_token']) {
    if (typeof body[field] === 'string') registerSensitive(body[field]);
  }
  return {
    status,
    ...(typeof body.error === 'string' ? { error: body.error } : {}),
    ...(typeof body.error_description === 'string' ? { description: body.error_description } : {}),
  };
}
