/**
 * The local stack (`npm start`, docs/contract.md "Local stack"): the vault's real handlers behind one HTTP server on
 * loopback that speaks the Lambda Invoke API and the HTTP API routes, with AWS services from the emulator and,
 * unless `OAUTH_*` name another provider, the built-in development provider.
 *
 * Handlers read their configuration from the environment when their module is first loaded. The stack therefore
 * sets `process.env` first and only then loads them, once per process: a second {@link startLocalStack} in the
 * same process (or the same Jest test file) is refused instead of silently serving stale configuration.
 */
import { createServer, type Server } from 'node:http';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ApplicationConfig } from '@token-vault/cdk/src/definitions/applications';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { awsClientConfig } from './aws-clients';
import { localBaseUrl, readProviderChoice, type LocalApplication } from './config';
import { applicationsValue, developmentApplication, developmentClient, newDevClientSecret } from './dev-application';
import { attachDashboard, type Dashboard } from './dashboard';
import { startDevProvider, type DevProvider, type DevProviderOptions } from './dev-provider-process';
import { reuseEmulator, startEmulator, type Emulator } from './emulator';
import { setFunctionEnvironment } from './environment';
import { functionsLoaded, loadFunctions } from './functions';
import { closeServer, listen } from './http/listen';
import { dispatch, writeLog, type LocalRoute, type LogFn } from './http/router';
import { newRequestId, lambdaContext, runHandler, unhandledErrorPayload, type LoadedFunction } from './lambda-api';
import { provisionResources, type ProvisionedResources } from './provision';
import { RefreshWork, type RefreshWorkLoop } from './refresh-work';
import { builtInRoutes } from './routes/built-in';

/** Port when the option does not say otherwise. */
export const DEFAULT_PORT = 3000;
/** Resource name prefix in the emulator when the option is absent. */
export const DEFAULT_PREFIX = 'local';

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
  readonly refreshWork?: {
    readonly worker?: boolean;
    readonly sweepSeconds?: number;
    readonly queueVisibilitySeconds?: number;
  };
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

/** Claimed by the first start in this module instance (see the file comment). */
let claimed = false;

/**
 * Starts the local stack and resolves once it serves requests: HTTP server on 127.0.0.1, emulator (started or
 * reused through `AWS_ENDPOINT_URL`), development provider when `OAUTH_*` name none, resources provisioned under
 * the prefix with the client secret in Secrets Manager, `process.env` set for the functions, handlers loaded.
 *
 * @throws LocalConfigError for an unusable `OAUTH_*` configuration or a port in use; nothing is left running after
 *   any failure
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (claimed || functionsLoaded()) {
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
      ...(options.refreshWork?.queueVisibilitySeconds === undefined
        ? {}
        : { queueVisibilitySeconds: options.refreshWork.queueVisibilitySeconds }),
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
    table.push(
      ...builtInRoutes(
        dashboard.functions,
        applications.map((app) => app.applicationId),
      ),
      ...dashboard.routes,
      ...(options.routes ?? []),
    );
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
        ? refreshWork.start({
            pollers: (options.refreshWork?.worker ?? true) ? 1 : 0,
            ...(options.refreshWork?.sweepSeconds ? { sweepSeconds: options.refreshWork.sweepSeconds } : {}),
          })
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
    if (!functionsLoaded()) claimed = false;
    throw err;
  }
}

async function stopAll(
  server: Server,
  devProvider: DevProvider | undefined,
  emulator: Emulator | undefined,
): Promise<void> {
  const results = await Promise.allSettled([closeServer(server), devProvider?.stop(), emulator?.stop()]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * A function invoked by the platform rather than a caller (the schedule, the queue's event source): same context
 * and timeout as an Invoke; a thrown error or a timeout rejects (the event source then keeps the batch).
 */
function backgroundInvoke(
  functions: ReadonlyMap<string, LoadedFunction>,
  name: string,
): (event: unknown) => Promise<unknown> {
  const fn = functions.get(name);
  if (!fn) throw new Error(`no ${name} function`);
  return async (event) => {
    const requestId = newRequestId();
    const outcome = await runHandler(
      fn,
      event,
      lambdaContext(fn.definition, requestId, Date.now() + fn.definition.timeoutSeconds * 1000),
    );
    if (outcome.kind === 'returned') return outcome.value;
    const error = unhandledErrorPayload(outcome, requestId, fn.definition.timeoutSeconds);
    throw Object.assign(new Error(String(error.errorMessage)), { name: String(error.errorType) });
  };
}

function devProviderEndpoints(provider: DevProvider | undefined): DevProvider {
  if (!provider) throw new Error('development provider did not start');
  return provider;
}
