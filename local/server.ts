/**
 * The local stack (`npm start`, docs/contract.md "Local stack"): the vault's real handlers behind one HTTP server on
 * loopback that speaks the Lambda Invoke API and the HTTP API routes, with AWS services from the emulator and,
 * unless `OAUTH_*` name another provider, the built-in development provider.
 *
 * Handlers read their configuration from the environment when their module is first loaded. The stack therefore
 * sets `process.env` first and only then loads them, once per process: a second {@link startLocalStack} in the
 * same process (or the same Jest test file) is refused instead of silently serving stale configuration.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { ApplicationConfig } from '@token-vault/cdk/src/definitions/applications';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { SCOPED_FUNCTION_KEYS, applicationAlias, isVersionQualifier } from '@token-vault/cdk/src/definitions/aliases';
import { FUNCTIONS, HTTP_ROUTES } from '@token-vault/cdk/src/definitions/functions';
import { METRICS_NAMESPACE, SERVICE_NAME } from '@token-vault/cdk/src/definitions/metrics';
import { DEFAULT_REGION, EMULATOR_CREDENTIALS } from './aws-clients';
import {
  applicationsValue,
  CONNECTED_PATH,
  developmentApplication,
  developmentClient,
  localBaseUrl,
  LocalConfigError,
  newDevClientSecret,
  readProviderChoice,
  type LocalApplication,
} from './config';
import { attachDashboard, type Dashboard } from './dashboard';
import { startDevProvider, type DevProvider, type DevProviderOptions } from './dev-provider-process';
import { startEmulator, type Emulator } from './emulator';
import { toHttpApiEvent, writeHttpApiFailure, writeHttpApiResult } from './http-api';
import {
  functionArn,
  invocationType,
  INVOKE_PATH,
  InvokeApiError,
  lambdaContext,
  newRequestId,
  parseFunctionName,
  parsePayload,
  runHandler,
  sendInvokeError,
  unhandledErrorPayload,
  type InvocationOutcome,
  type LambdaHandler,
  type LoadedFunction,
} from './lambda-api';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from './aws-clients';
import { functionEnvironment, provisionResources, type ProvisionedResources } from './provision';
import { RefreshWork, type RefreshWorkLoop } from './refresh-work';

/** Host the server (and everything it starts) listens on. Loopback only: the stack has no authentication. */
export const HOST = '127.0.0.1';
/** Port when the option does not say otherwise. */
export const DEFAULT_PORT = 3000;
/** Resource name prefix in the emulator when the option is absent. */
export const DEFAULT_PREFIX = 'local';
/** Largest request body accepted, in bytes (the vault's payloads are tiny); larger ones get 413. */
export const MAX_BODY_BYTES = 256 * 1024;

/** The @token-vault/cdk package: handler entries (FUNCTIONS[...].entry) are relative to it. */
const CDK_PACKAGE_ROOT = dirname(require.resolve('@token-vault/cdk/package.json'));

// ---------------------------------------------------------------------------------------------- types

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /**
   * Port on 127.0.0.1; 0 picks a free one.
   * @default 3000
   */
  readonly port?: number;
  /**
   * Where `OAUTH_*`, `AWS_ENDPOINT_URL`, `AWS_REGION` and the `TOKEN_VAULT_*` tunables are read from. The
   * functions' variables are always written to `process.env`, where the handlers read them.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * No log lines from the server itself (the handlers still log).
   * @default false
   */
  readonly quiet?: boolean;
  /**
   * Name prefix of the tables, key alias and secrets in the emulator (1-64 of `[A-Za-z0-9_-]`). Give each test
   * file its own when they share an emulator.
   * @default 'local'
   */
  readonly prefix?: string;
  /**
   * Settings of the built-in development provider (ignored when `OAUTH_*` name another provider).
   * @default - 1 hour access tokens, 30 day refresh tokens
   */
  readonly devProvider?: Pick<DevProviderOptions, 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds'>;
  /**
   * The proactive refresh: the refresh worker's event source (a loop polling the refresh queue) and the sweep's
   * schedule. `sweepSeconds` 0 or absent: no schedule (call {@link LocalStack.refreshWork}'s `sweep()`); `npm start`
   * sweeps every `LOCAL_SWEEP_SECONDS` (default 60). `worker: false` leaves the queue to `refreshWork.workOnce()`.
   * `queueVisibilitySeconds` shortens the queue's visibility timeout (tests of redelivery).
   * @default { worker: true }
   */
  readonly refreshWork?: { readonly worker?: boolean; readonly sweepSeconds?: number; readonly queueVisibilitySeconds?: number };
  /**
   * Extra routes, matched after the built-in ones (more can be added later with {@link LocalStack.addRoute}).
   * @default - none
   */
  readonly routes?: readonly LocalRoute[];
}

/** A running local stack. */
export interface LocalStack {
  /** `http://127.0.0.1:<port>`: the Lambda endpoint for `@aws-sdk/client-lambda` and the HTTP API's base URL. */
  readonly baseUrl: string;
  readonly port: number;
  /** AWS emulator endpoint (moto server). */
  readonly endpoint: string;
  /** True when this stack started the emulator (and stops it); false when it reused `AWS_ENDPOINT_URL`. */
  readonly ownsEmulator: boolean;
  /** The built-in development provider; undefined when `OAUTH_*` name another provider. */
  readonly devProvider: DevProvider | undefined;
  /** Tables, key and secret ARNs in the emulator. */
  readonly resources: ProvisionedResources;
  /** Exactly what the functions got in `TOKEN_VAULT_APPLICATIONS`. */
  readonly applications: readonly ApplicationConfig[];
  /** The refresh queue's event source and the sweep, driven by hand or by the loop. */
  readonly refreshWork: RefreshWork;
  /** Adds a route (e.g. `/dashboard`); routes added earlier, built-in ones first, win on the same path. */
  addRoute(route: LocalRoute): void;
  /** Stops the server, the development provider and the emulator (if owned). Safe to call twice. */
  stop(): Promise<void>;
}

/** A request as a {@link LocalRoute} sees it. */
export interface LocalRequest {
  readonly raw: IncomingMessage;
  /** Parsed URL (path and query as received). */
  readonly url: URL;
  /** The match when the route's path is a RegExp. */
  readonly match: RegExpExecArray | undefined;
  /** Request id, also in the request's log line. */
  readonly requestId: string;
  /** Reads the body; more than {@link MAX_BODY_BYTES} rejects with {@link BodyTooLargeError} (answered 413). */
  body(): Promise<Buffer>;
  /** Writes a JSON log line (suppressed by `quiet`). Never pass tokens, codes, bodies or query strings. */
  log: LogFn;
}

/** One entry of the route table. */
export interface LocalRoute {
  /** HTTP method; GET routes also answer HEAD. */
  readonly method: string;
  /** Exact path, or a RegExp tested against the path. */
  readonly path: string | RegExp;
  handle(request: LocalRequest, res: ServerResponse): Promise<void>;
}

/** Rejection of {@link LocalRequest.body} for a body over {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** A JSON log line writer. */
export type LogFn = (level: 'INFO' | 'WARN' | 'ERROR', message: string, fields?: Record<string, unknown>) => void;

// ---------------------------------------------------------------------------------------------- start

/** Claimed by the first start in this module instance (see the file comment). */
let claimed = false;
/** Set once the handler modules are loaded: from then on this process's configuration is fixed. */
let handlersLoaded = false;

/**
 * Starts the local stack and resolves once it serves requests: HTTP server on 127.0.0.1, emulator (started or
 * reused through `AWS_ENDPOINT_URL`), development provider when `OAUTH_*` name none, resources provisioned under
 * the prefix with the client secret in Secrets Manager, `process.env` set for the functions, handlers loaded.
 *
 * @throws LocalConfigError for an unusable `OAUTH_*` configuration or a port in use; nothing is left running after
 *   any failure
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (claimed || handlersLoaded) {
    throw new Error('the local stack starts once per process: the handlers read their configuration when first loaded');
  }
  claimed = true;
  const env = options.env ?? process.env;
  const log: LogFn = options.quiet ? () => undefined : writeLog;
  const table: LocalRoute[] = [];

  const server = createServer((req, res) => {
    void dispatch(req, res, table, log);
  });
  let emulator: Emulator | undefined;
  let devProvider: DevProvider | undefined;
  let dashboard: Dashboard | undefined;

  try {
    const port = await listen(server, options.port ?? DEFAULT_PORT);
    const baseUrl = localBaseUrl(port);
    const choice = readProviderChoice(env, port);

    const devClientSecret = newDevClientSecret();
    const [startedEmulator, startedProvider] = await Promise.allSettled([
      env.AWS_ENDPOINT_URL ? Promise.resolve(reuseEmulator(env.AWS_ENDPOINT_URL)) : startEmulator(),
      choice.kind === 'development'
        ? startDevProvider({ ...options.devProvider, clients: [developmentClient(choice.settings, devClientSecret)] })
        : Promise.resolve(undefined),
    ]);
    if (startedEmulator.status === 'fulfilled') emulator = startedEmulator.value;
    if (startedProvider.status === 'fulfilled') devProvider = startedProvider.value;
    if (startedEmulator.status === 'rejected') throw startedEmulator.reason;
    if (startedProvider.status === 'rejected') throw startedProvider.reason;
    if (!emulator) throw new Error('emulator did not start');

    const application: LocalApplication =
      choice.kind === 'external'
        ? choice.application
        : developmentApplication(devProviderEndpoints(devProvider), choice.settings, devClientSecret);
    const resources = await provisionResources({
      endpoint: emulator.endpoint,
      prefix: options.prefix ?? DEFAULT_PREFIX,
      applications: [{ applicationId: application.config.applicationId, clientSecret: application.clientSecret }],
      ...(options.refreshWork?.queueVisibilitySeconds === undefined ? {} : { queueVisibilitySeconds: options.refreshWork.queueVisibilitySeconds }),
    });
    const secretId = resources.secretIds[application.config.applicationId];
    if (!secretId) throw new Error('provisioning returned no client secret ARN');
    const applications = applicationsValue(application, secretId);

    setFunctionEnvironment(env, emulator.endpoint, resources, applications);
    // /dashboard, /dashboard/data.json, /revocations; taps stdout for the handlers' EMF lines, counts invocations.
    dashboard = attachDashboard({
      functions: loadFunctions(),
      applicationIds: applications.map((app) => app.applicationId),
      endpoint: emulator.endpoint,
      connectionsTable: resources.connectionsTable,
      eventTapQueueUrl: resources.eventTapQueueUrl,
    });
    table.push(...builtInRoutes(dashboard.functions, applications.map((app) => app.applicationId)), ...dashboard.routes, ...(options.routes ?? []));
    const sqs = new SQSClient(awsClientConfig(emulator.endpoint));
    const refreshWork = new RefreshWork({
      sqs,
      queueUrl: resources.refreshQueueUrl,
      sweep: backgroundInvoke(dashboard.functions, FUNCTIONS.sweep.name),
      worker: backgroundInvoke(dashboard.functions, FUNCTIONS.refreshWorker.name),
      log,
    });
    const loop: RefreshWorkLoop | undefined =
      (options.refreshWork?.worker ?? true) || options.refreshWork?.sweepSeconds
        ? refreshWork.start({ pollers: (options.refreshWork?.worker ?? true) ? 1 : 0, ...(options.refreshWork?.sweepSeconds ? { sweepSeconds: options.refreshWork.sweepSeconds } : {}) })
        : undefined;

    let stopping: Promise<void> | undefined;
    const ownedEmulator = emulator;
    const ownedProvider = devProvider;
    const ownedDashboard = dashboard;
    return {
      baseUrl,
      port,
      endpoint: emulator.endpoint,
      ownsEmulator: emulator.owned,
      devProvider,
      resources,
      applications,
      refreshWork,
      addRoute: (route) => {
        table.push(route);
      },
      stop: () => {
        ownedDashboard.detach();
        stopping ??= (async () => {
          await loop?.stop();
          sqs.destroy();
          await stopAll(server, ownedProvider, ownedEmulator);
        })();
        return stopping;
      },
    };
  } catch (err) {
    dashboard?.detach();
    await stopAll(server, devProvider, emulator);
    if (!handlersLoaded) claimed = false;
    throw err;
  }
}

/** The functions' environment, as the CDK construct sets it (plus the emulator's endpoint and fake credentials). */
function setFunctionEnvironment(
  env: NodeJS.ProcessEnv,
  endpoint: string,
  resources: ProvisionedResources,
  applications: readonly ApplicationConfig[],
): void {
  // Tunables the caller set (TOKEN_VAULT_REFRESH_MARGIN_SECONDS, ...) reach the functions unchanged.
  for (const name of Object.values(ENV)) {
    const value = env[name];
    if (value !== undefined) process.env[name] = value;
  }
  Object.assign(process.env, {
    ...functionEnvironment(resources, applications),
    [ENV.POWERTOOLS_SERVICE_NAME]: SERVICE_NAME,
    [ENV.POWERTOOLS_METRICS_NAMESPACE]: METRICS_NAMESPACE,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: env.AWS_REGION || DEFAULT_REGION,
    // Always the emulator's fake keys: a developer's real credentials must never be used (or sent) from here.
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

/**
 * Loads every handler in FUNCTIONS from its entry file. `require` (not `import()`): the project is CommonJS,
 * and both tsx and Jest hook `require` for TypeScript, while Jest refuses `import()` without VM modules.
 */
function loadFunctions(): ReadonlyMap<string, LoadedFunction> {
  handlersLoaded = true;
  const loaded = new Map<string, LoadedFunction>();
  for (const definition of Object.values(FUNCTIONS)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    const mod = require(join(CDK_PACKAGE_ROOT, definition.entry)) as { handler?: unknown };
    if (typeof mod.handler !== 'function') throw new Error(`${definition.entry} does not export a handler function`);
    loaded.set(definition.name, { definition, handler: mod.handler as LambdaHandler });
  }
  return loaded;
}

async function stopAll(server: Server, devProvider: DevProvider | undefined, emulator: Emulator | undefined): Promise<void> {
  const results = await Promise.allSettled([closeServer(server), devProvider?.stop(), emulator?.stop()]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * A function invoked by the platform rather than a caller (the schedule, the queue's event source): same context
 * and timeout as an Invoke; a thrown error or a timeout rejects (the event source then keeps the batch).
 */
function backgroundInvoke(functions: ReadonlyMap<string, LoadedFunction>, name: string): (event: unknown) => Promise<unknown> {
  const fn = functions.get(name);
  if (!fn) throw new Error(`no ${name} function`);
  return async (event) => {
    const requestId = newRequestId();
    const outcome = await runHandler(fn, event, lambdaContext(fn.definition, requestId, Date.now() + fn.definition.timeoutSeconds * 1000));
    if (outcome.kind === 'returned') return outcome.value;
    const error = unhandledErrorPayload(outcome, requestId, fn.definition.timeoutSeconds);
    throw Object.assign(new Error(String(error.errorMessage)), { name: String(error.errorType) });
  };
}

function devProviderEndpoints(provider: DevProvider | undefined): DevProvider {
  if (!provider) throw new Error('development provider did not start');
  return provider;
}

// ---------------------------------------------------------------------------------------------- routes

function builtInRoutes(functions: ReadonlyMap<string, LoadedFunction>, applicationIds: readonly string[]): LocalRoute[] {
  const invokable = new Map([...functions].filter(([, fn]) => fn.definition.invokable));
  const callback = functions.get(FUNCTIONS.callback.name);
  if (!callback) throw new Error(`no ${FUNCTIONS.callback.name} function`);
  return [
    invokeRoute(invokable, INVOKE_PATH, aliasesOf(applicationIds)),
    { method: 'GET', path: HTTP_ROUTES.CALLBACK, handle: (request, res) => httpApi(callback, request, res) },
    { method: 'GET', path: CONNECTED_PATH, handle: (request, res) => Promise.resolve(connectedPage(request, res)) },
    { method: 'GET', path: '/healthz', handle: (_request, res) => Promise.resolve(sendJson(res, 200, { status: 'ok' })) },
  ];
}

/**
 * `POST /2015-03-31/functions/{name}/invocations`, the Lambda Invoke API, for the given functions (exported so
 * tests can serve stand-in functions under another path; group 1 of `path` must capture the name).
 */
export function invokeRoute(functions: ReadonlyMap<string, LoadedFunction>, path: RegExp = INVOKE_PATH, aliases: (functionName: string) => readonly string[] = () => []): LocalRoute {
  return { method: 'POST', path, handle: (request, res) => invoke(functions, request, res, aliases) };
}

/**
 * The aliases each function has, as the construct deploys them: one per application on the scoped functions
 * (definitions/aliases.ts). There is no IAM locally: the function's own check is what serves only the alias's
 * application; an alias that does not exist is not found, as in Lambda.
 */
function aliasesOf(applicationIds: readonly string[]): (functionName: string) => readonly string[] {
  const scoped = new Set<string>(SCOPED_FUNCTION_KEYS.map((key) => FUNCTIONS[key].name));
  const names = applicationIds.map(applicationAlias);
  return (functionName) => (scoped.has(functionName) ? names : []);
}

async function invoke(functions: ReadonlyMap<string, LoadedFunction>, request: LocalRequest, res: ServerResponse, aliases: (functionName: string) => readonly string[]): Promise<void> {
  const { requestId } = request;
  const rawName = safeDecode(request.match?.[1] ?? '');
  const ref = parseFunctionName(rawName);
  const fn = ref && functions.get(ref.name);
  if (!ref || !fn) {
    const shown = ref ? functionArn(ref.name, ref.qualifier) : rawName;
    sendInvokeError(res, requestId, new InvokeApiError(404, 'ResourceNotFoundException', `Function not found: ${shown}`));
    return;
  }
  const type = invocationType(request.raw);
  if (!type) {
    const message =
      "1 validation error detected: Value at 'invocationType' failed to satisfy constraint: " +
      'Member must satisfy enum value set: [Event, RequestResponse, DryRun]';
    sendInvokeError(res, requestId, new InvokeApiError(400, 'InvalidParameterValueException', message));
    return;
  }

  let payload: unknown;
  try {
    payload = parsePayload(await request.body());
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      const message = `Request must be smaller than ${MAX_BODY_BYTES} bytes for the InvokeFunction operation`;
      res.setHeader('connection', 'close');
      sendInvokeError(res, requestId, new InvokeApiError(413, 'RequestTooLargeException', message));
      return;
    }
    if (err instanceof InvokeApiError) {
      sendInvokeError(res, requestId, err);
      return;
    }
    throw err;
  }

  const qualifier = ref.qualifier ?? (request.url.searchParams.get('Qualifier') || undefined);
  const { definition } = fn;
  if (qualifier !== undefined && !isVersionQualifier(qualifier) && !aliases(definition.name).includes(qualifier)) {
    sendInvokeError(res, requestId, new InvokeApiError(404, 'ResourceNotFoundException', `Function not found: ${functionArn(definition.name, qualifier)}`));
    return;
  }
  const baseHeaders = { 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' };
  if (type === 'DryRun') {
    res.writeHead(204, baseHeaders).end();
    return;
  }
  const context = lambdaContext(definition, requestId, Date.now() + definition.timeoutSeconds * 1000, qualifier);
  if (type === 'Event') {
    // Accepted at once; the function runs afterwards and its failure only shows in the log, as in Lambda.
    res.writeHead(202, baseHeaders).end();
    invocationAnswer(fn, await runHandler(fn, payload, context), request);
    return;
  }

  const answer = invocationAnswer(fn, await runHandler(fn, payload, context), request);
  res.writeHead(200, {
    ...baseHeaders,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(answer.payload),
    ...(answer.unhandled ? { 'x-amz-function-error': 'Unhandled' } : {}),
  });
  res.end(answer.payload);
}

/**
 * The Invoke answer for an outcome: the result as JSON, or the runtime's error document (logged) when the
 * handler threw, timed out or returned something JSON cannot carry.
 */
function invocationAnswer(fn: LoadedFunction, outcome: InvocationOutcome, request: LocalRequest): { payload: string; unhandled: boolean } {
  const { definition } = fn;
  let error: Record<string, unknown>;
  if (outcome.kind === 'returned') {
    try {
      return { payload: JSON.stringify(outcome.value) ?? 'null', unhandled: false };
    } catch {
      error = { errorType: 'Runtime.MarshalError', errorMessage: 'Unable to marshal response: result is not JSON-serializable' };
    }
  } else {
    error = unhandledErrorPayload(outcome, request.requestId, definition.timeoutSeconds);
  }
  request.log('ERROR', 'invocation failed', {
    function: definition.name,
    requestId: request.requestId,
    errorType: error.errorType,
    errorMessage: error.errorMessage,
    stack: error.trace,
  });
  return { payload: JSON.stringify(error), unhandled: true };
}

/** An HTTP API route: the request as an API Gateway v2 event, the result written back as API Gateway does. */
async function httpApi(fn: LoadedFunction, request: LocalRequest, res: ServerResponse): Promise<void> {
  const { definition } = fn;
  const { requestId } = request;
  const routeKey = `${request.raw.method === 'HEAD' ? 'GET' : (request.raw.method ?? 'GET')} ${request.url.pathname}`;
  const event = toHttpApiEvent(request.raw, request.url, routeKey, requestId);
  const context = lambdaContext(definition, requestId, Date.now() + definition.timeoutSeconds * 1000);
  const outcome = await runHandler(fn, event, context);
  if (outcome.kind === 'returned') {
    writeHttpApiResult(res, outcome.value, requestId);
    return;
  }
  const error = unhandledErrorPayload(outcome, requestId, definition.timeoutSeconds);
  request.log('ERROR', 'invocation failed', {
    function: definition.name,
    requestId,
    errorType: error.errorType,
    errorMessage: error.errorMessage,
    stack: error.trace,
  });
  writeHttpApiFailure(res, requestId, outcome.kind === 'timed_out' ? 503 : 500);
}

/** `GET /connected`: where the callback sends the browser by default; shows `status` (and `error`). */
function connectedPage(request: LocalRequest, res: ServerResponse): void {
  const status = request.url.searchParams.get('status');
  const error = request.url.searchParams.get('error');
  const flow = request.url.searchParams.get('flow');
  const heading = status === 'connected' ? 'Connected' : status === 'pending' ? 'Almost connected' : status ? 'Not connected' : 'No status';
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><title>token-vault: ' + escapeHtml(heading) + '</title></head>',
    '<body>',
    `<h1>${escapeHtml(heading)}</h1>`,
    status === null ? '' : `<p>status: <code>${escapeHtml(status)}</code></p>`,
    error === null ? '' : `<p>error: <code>${escapeHtml(error)}</code></p>`,
    // Session binding: here an application's backend would call `complete` with its logged-in user; locally, by hand.
    status !== 'pending' || flow === null
      ? ''
      : `<p>Session binding: complete the flow as the user who called connect (within 5 minutes, once):</p><pre>curl -s -X POST ${escapeHtml(`http://${request.url.host}`)}/2015-03-31/functions/complete/invocations -d '{"flowHandle":"${escapeHtml(flow)}","userId":"USER"}'</pre>`,
    '<p>This page is served by the token-vault local stack.</p>',
    '</body></html>',
  ].join('\n');
  sendHtml(res, 200, html);
}

// ---------------------------------------------------------------------------------------------- dispatch

async function dispatch(req: IncomingMessage, res: ServerResponse, table: readonly LocalRoute[], log: LogFn): Promise<void> {
  const requestId = newRequestId();
  const started = Date.now();
  const method = req.method ?? 'GET';
  let url: URL;
  try {
    url = new URL(`http://${HOST}${req.url ?? '/'}`);
  } catch {
    sendJson(res, 400, { message: 'Bad Request' });
    return;
  }
  // Path only: query strings carry authorization codes and state.
  res.once('finish', () => {
    log('INFO', 'request', { method, path: url.pathname, status: res.statusCode, durationMs: Date.now() - started, requestId });
  });

  try {
    if (table.length === 0) {
      sendJson(res, 503, { message: 'Service Unavailable' });
      return;
    }
    const found = findRoute(table, method, url.pathname);
    if (found === 'method_not_allowed') {
      sendJson(res, 405, { message: 'Method Not Allowed' });
      return;
    }
    if (!found) {
      sendJson(res, 404, { message: 'Not Found' });
      return;
    }
    await found.route.handle(
      { raw: req, url, match: found.match, requestId, body: () => readBody(req, MAX_BODY_BYTES), log },
      res,
    );
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      if (!res.headersSent) {
        res.setHeader('connection', 'close');
        sendJson(res, 413, { message: 'Request Entity Too Large' });
      }
      return;
    }
    log('ERROR', 'request failed', { requestId, errorType: (err as Error).name, errorMessage: (err as Error).message });
    if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
    else res.destroy();
  }
}

interface RouteMatch {
  readonly route: LocalRoute;
  readonly match: RegExpExecArray | undefined;
}

function findRoute(table: readonly LocalRoute[], method: string, path: string): RouteMatch | 'method_not_allowed' | undefined {
  let pathMatched = false;
  for (const route of table) {
    const match = typeof route.path === 'string' ? (route.path === path ? undefined : null) : route.path.exec(path);
    if (match === null) continue;
    pathMatched = true;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, match };
  }
  return pathMatched ? 'method_not_allowed' : undefined;
}

/** Reads a request body up to `limit` bytes; beyond, drains the rest unbuffered and rejects. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(`body over ${limit} bytes`));
  }
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(`body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (!tooLarge) resolveBody(Buffer.concat(chunks));
    });
    req.once('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------- helpers

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends an HTML page that may load nothing and run no script. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(html);
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One JSON line on stdout, like the functions' Powertools logs. Never pass request bodies or query strings. */
function writeLog(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(
    `${JSON.stringify({ level, message, service: `${SERVICE_NAME}-local`, timestamp: new Date().toISOString(), ...fields })}\n`,
  );
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function reuseEmulator(endpoint: string): Emulator {
  const base = endpoint.replace(/\/+$/, '');
  return {
    endpoint: base,
    owned: false,
    logFile: undefined,
    stop: () => Promise.resolve(),
    reset: async () => {
      const res = await fetch(`${base}/moto-api/reset`, { method: 'POST' });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new LocalConfigError(`port ${port} on ${HOST} is already in use: stop what runs there or set PORT to another port`)
          : err,
      );
    };
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.removeListener('error', onError);
      const address = server.address();
      if (typeof address === 'object' && address) resolvePort(address.port);
      else reject(new Error('could not determine the server port'));
    });
  });
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolveClose) => {
    // Idle keep-alive sockets go at once; requests in flight get a moment to finish.
    const force = setTimeout(() => server.closeAllConnections(), 2_000);
    server.close(() => {
      clearTimeout(force);
      resolveClose();
    });
    server.closeIdleConnections();
  });
}
