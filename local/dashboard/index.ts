/**
 * The local dashboard (README "Dashboard and alarms"): the local stack taps its own stdout for the handlers' EMF records,
 * counts each function's invocations, and serves
 *
 * - `GET /dashboard`: the page (./page),
 * - `GET /dashboard/data.json`: the widgets' series (./data); `?window=` seconds (60-3600),
 * - `GET /revocations`: the revocation records, paged (./revocations),
 * - `GET /events`: the lifecycle events put on the emulator's bus (./events).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConnectionStore } from '@token-vault/cdk/functions/core/store/connection-store';
import type { LoadedFunction } from '../lambda-api';
import { awsClientConfig } from '../aws-clients';
import { sendNoStore } from '../http/respond';
import type { LocalRequest, LocalRoute } from '../http/router';
import { dashboardData, MAX_WINDOW_SECONDS } from './data';
import { installEmfTap, type WritableLike } from './emf-tap';
import { instrumentFunctions } from './invocations';
import { MetricStore } from './metric-store';
import { DATA_PATH, dashboardPage, DEFAULT_REFRESH_SECONDS, PAGE_PATH, REVOCATIONS_PATH } from './page';
import { serveRevocations } from './revocations';
import { EVENTS_PATH, EventFeed, serveEvents } from './events';

export { MetricStore } from './metric-store';

/** Options of {@link attachDashboard}. */
export interface AttachDashboardOptions {
  /** The loaded functions; the dashboard hands back instrumented copies. */
  readonly functions: ReadonlyMap<string, LoadedFunction>;
  /** Application ids of the local stack. */
  readonly applicationIds: readonly string[];
  /** The emulator endpoint and the connections table (for `/revocations`). */
  readonly endpoint: string;
  readonly connectionsTable: string;
  /** The queue the bus's tap rule delivers every event to (for `/events`). */
  readonly eventTapQueueUrl: string;
  /** Where the handlers' EMF lines are written. @default process.stdout */
  readonly stream?: WritableLike;
}

/** The dashboard, attached to one local stack. */
export interface Dashboard {
  readonly store: MetricStore;
  /** The functions to serve: each call is counted for the per-function widgets. */
  readonly functions: ReadonlyMap<string, LoadedFunction>;
  readonly routes: readonly LocalRoute[];
  /** Removes the stdout tap and closes the DynamoDB client. Safe to call twice. */
  detach(): void;
}

export function attachDashboard(options: AttachDashboardOptions): Dashboard {
  const store = new MetricStore();
  const tap = installEmfTap(store, options.stream);
  const ddb = new DynamoDBClient({ ...awsClientConfig(options.endpoint), maxAttempts: 2 });
  const connections = new ConnectionStore({
    client: DynamoDBDocumentClient.from(ddb),
    tableName: options.connectionsTable,
    callTimeoutMs: 5000,
  });
  const applications = [...options.applicationIds];
  const sqs = new SQSClient({ ...awsClientConfig(options.endpoint), maxAttempts: 2 });
  const feed = new EventFeed(sqs, options.eventTapQueueUrl);

  const routes: LocalRoute[] = [
    {
      method: 'GET',
      path: PAGE_PATH,
      handle: (request, res) => {
        const data = dashboardData({ store, applications });
        const refreshSeconds = boundedNumber(request, 'refresh', 1, 300) ?? DEFAULT_REFRESH_SECONDS;
        const windowSeconds = boundedNumber(request, 'window', 60, MAX_WINDOW_SECONDS);
        const page = dashboardPage(data, { refreshSeconds, ...(windowSeconds !== undefined ? { windowSeconds } : {}) });
        sendNoStore(res, 200, 'text/html; charset=utf-8', page.html, { 'content-security-policy': page.csp });
        return Promise.resolve();
      },
    },
    {
      method: 'GET',
      path: DATA_PATH,
      handle: (request, res) => {
        const windowSeconds = boundedNumber(request, 'window', 60, MAX_WINDOW_SECONDS);
        const data = dashboardData({ store, applications, ...(windowSeconds !== undefined ? { windowSeconds } : {}) });
        sendNoStore(res, 200, 'application/json', JSON.stringify(data));
        return Promise.resolve();
      },
    },
    {
      method: 'GET',
      path: REVOCATIONS_PATH,
      handle: (request, res) => serveRevocations(connections, request.url.searchParams, res),
    },
    { method: 'GET', path: EVENTS_PATH, handle: (request, res) => serveEvents(feed, request.url.searchParams, res) },
  ];

  let detached = false;
  return {
    store,
    functions: instrumentFunctions(options.functions, store),
    routes,
    detach: () => {
      if (detached) return;
      detached = true;
      tap.uninstall();
      ddb.destroy();
      sqs.destroy();
    },
  };
}

/** An integer query parameter clamped to [min, max]; undefined when absent or not a number. */
function boundedNumber(request: LocalRequest, name: string, min: number, max: number): number | undefined {
  const raw = request.url.searchParams.get(name);
  if (raw === null || !/^\d{1,6}$/.test(raw)) return undefined;
  return Math.min(max, Math.max(min, Number(raw)));
}
