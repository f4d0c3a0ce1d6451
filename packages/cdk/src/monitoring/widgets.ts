/** The dashboard: which widgets, in which rows, drawing which series. */
import { FUNCTIONS, type FunctionKey } from '../definitions/functions';
import type { AwsMetricKey, MetricKey } from '../definitions/metrics';
import { PERIOD_SECONDS } from './constants';
import type { AwsSeries, DashboardDefinition, Statistic, VaultSeries } from './types';

const vault = (
  metric: MetricKey,
  stat: Statistic,
  label: string,
  options: { split?: boolean; includeUnknownApplication?: boolean } = {},
): VaultSeries => ({
  source: 'vault',
  metric,
  stat,
  split: options.split ?? false,
  ...(options.includeUnknownApplication === true ? { includeUnknownApplication: true } : {}),
  label,
});
const aws = (metric: AwsMetricKey, stat: Statistic, label: string): AwsSeries => ({
  source: 'aws',
  metric,
  stat,
  label,
});

/** Log groups of every function. */
const ALL_FUNCTIONS = Object.keys(FUNCTIONS) as FunctionKey[];

export const DASHBOARD: DashboardDefinition = {
  title: 'token-vault',
  periodSeconds: PERIOD_SECONDS,
  rows: [
    // The four panels of the guide.
    [
      {
        kind: 'metric',
        id: 'active-tokens',
        title: 'Active tokens per application',
        description: 'Connections in status active, per application (exact counters, sampled by every refresh sweep).',
        series: [vault('ACTIVE_TOKENS', 'Maximum', 'active')],
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'refresh-frequency',
        title: 'Token refresh frequency',
        description: 'Refreshes at the provider by trigger (on_demand, proactive, forced) and result.',
        series: [vault('REFRESH', 'Sum', 'refreshes', { split: true })],
        stacked: true,
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'failed-authentication',
        title: 'Failed authentication attempts',
        description: 'Callbacks refused (by reason) and refreshes refused by the provider (by error code).',
        series: [
          vault('AUTHORIZATION_FAILURE', 'Sum', 'callback failures', { split: true, includeUnknownApplication: true }),
          vault('REFRESH_FAILURE', 'Sum', 'refresh failures', { split: true }),
        ],
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'revocations',
        title: 'Revoked tokens and reasons',
        description: 'Connections revoked, by the reason the caller gave.',
        series: [vault('REVOCATION', 'Sum', 'revocations', { split: true })],
        stacked: true,
        width: 6,
        height: 6,
      },
    ],
    // The proactive refresh: the sweep enqueues, the worker refreshes.
    [
      {
        kind: 'metric',
        id: 'refresh-backlog',
        title: 'Proactive refresh backlog (ms)',
        description:
          'How far behind the proactive refresh is: now less the oldest due time not refreshed yet, sampled by every sweep. Healthy: 0.',
        series: [vault('REFRESH_BACKLOG_AGE', 'Maximum', 'backlog')],
        width: 8,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'refresh-enqueued',
        title: 'Refresh work enqueued',
        description: 'Due connections the sweep sent to the refresh queue (pending revocations are not counted).',
        series: [vault('REFRESH_ENQUEUED', 'Sum', 'enqueued')],
        width: 8,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'refresh-queue',
        title: 'Refresh queue',
        description:
          'Age of the oldest message waiting for the worker (seconds), and work the worker failed 5 times (its dead-letter queue).',
        series: [
          aws('REFRESH_QUEUE_OLDEST_AGE', 'Maximum', 'oldest message (s)'),
          aws('REFRESH_DLQ_MESSAGES_VISIBLE', 'Maximum', 'dead letters'),
        ],
        width: 8,
        height: 6,
      },
    ],
    [
      {
        kind: 'metric',
        id: 'connection-events',
        title: 'Connection events',
        description:
          'Lifecycle events by detail-type and result: published on the bus, queued for the sweep to retry, or lost (should stay at 0).',
        series: [vault('CONNECTION_EVENT', 'Sum', 'events', { split: true })],
        stacked: true,
        width: 12,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'connection-event-retries',
        title: 'Connection events retried',
        description:
          'Queued events the sweep put on the bus again (published) or left queued (failed; after 5 attempts they go to the event dead-letter queue).',
        series: [vault('CONNECTION_EVENT_RETRY', 'Sum', 'retries', { split: true })],
        width: 12,
        height: 6,
      },
    ],
    [
      {
        kind: 'metric',
        id: 'token-fetches',
        title: 'Token fetches by result',
        description: 'token-fetch answers: ok or the error code.',
        series: [vault('TOKEN_FETCH', 'Sum', 'fetches', { split: true })],
        stacked: true,
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'connections',
        title: 'Connections and re-authorizations',
        description: 'Users who connected, and connections that need the user to connect again (invalid_grant).',
        series: [
          vault('CONNECTION', 'Sum', 'connected'),
          vault('REAUTHORIZATION_REQUIRED', 'Sum', 'reauthorization required'),
        ],
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'write-after-refresh-failed',
        title: 'Failed writes after refresh',
        description:
          'Refreshed tokens that could not be stored: the rotated refresh token may be lost. Should stay at 0.',
        series: [vault('WRITE_AFTER_REFRESH_FAILED', 'Sum', 'failed writes')],
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'dead-letters',
        title: 'Dead letters',
        description:
          'Failed asynchronous invocations (sweep, audit forwarder) waiting in the dead-letter queue, and lifecycle events the sweep could not put on the bus after 5 attempts.',
        series: [
          aws('DLQ_MESSAGES_VISIBLE', 'Maximum', 'messages visible'),
          aws('EVENT_DLQ_MESSAGES_VISIBLE', 'Maximum', 'event dead letters'),
        ],
        width: 6,
        height: 6,
      },
    ],
    [
      {
        kind: 'metric',
        id: 'provider-revocations',
        title: 'Revocations at the provider',
        description:
          'Refresh tokens sent to the provider for revocation: confirmed, or pending (the sweep retries them).',
        series: [vault('PROVIDER_REVOCATION', 'Sum', 'provider revocations', { split: true })],
        stacked: true,
        width: 12,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'pending-revocation-age',
        title: 'Oldest unconfirmed revocation (ms)',
        description:
          'Age of the oldest revocation the provider has not confirmed yet, sampled by every sweep; 0 when none.',
        series: [vault('OLDEST_PENDING_REVOCATION_AGE', 'Maximum', 'oldest pending')],
        width: 12,
        height: 6,
      },
    ],
    [
      {
        kind: 'metric',
        id: 'fetch-latency',
        title: 'token-fetch latency (ms)',
        description: 'Time inside the core for a token-fetch, refreshes included.',
        series: [vault('TOKEN_FETCH_LATENCY', 'p50', 'p50'), vault('TOKEN_FETCH_LATENCY', 'p99', 'p99')],
        width: 12,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'refresh-latency',
        title: 'Provider refresh latency (ms)',
        description: 'Provider refresh round trip, retries included.',
        series: [vault('REFRESH_LATENCY', 'p50', 'p50'), vault('REFRESH_LATENCY', 'p99', 'p99')],
        width: 12,
        height: 6,
      },
    ],
    // Each function, from AWS/Lambda.
    [
      {
        kind: 'metric',
        id: 'function-invocations',
        title: 'Invocations',
        description: 'Invocations per function.',
        series: [aws('LAMBDA_INVOCATIONS', 'Sum', 'invocations')],
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'function-errors',
        title: 'Errors',
        description:
          'Function errors per function (expected failures are answers, so any error is a bug or a timeout).',
        series: [aws('LAMBDA_ERRORS', 'Sum', 'errors')],
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'function-throttles',
        title: 'Throttles',
        description: 'Invocations refused for lack of concurrency, per function.',
        series: [aws('LAMBDA_THROTTLES', 'Sum', 'throttles')],
        width: 6,
        height: 6,
      },
      {
        kind: 'metric',
        id: 'function-duration',
        title: 'Duration p99 (ms)',
        description: 'Run time per function, 99th percentile.',
        series: [aws('LAMBDA_DURATION', 'p99', 'p99')],
        width: 6,
        height: 6,
      },
    ],
    // Per-user visibility from the logs: per-user custom metrics would cost more than the rest of the system.
    [
      {
        kind: 'logs',
        id: 'events-by-user',
        title: 'Top users by vault events',
        description:
          'Log events per user, application and message: connections, failed code exchanges, refresh failures, ' +
          're-authorizations and revocations carry userId (successful fetches are counted by metrics, not logged per request).',
        functions: ALL_FUNCTIONS,
        query: [
          'fields @timestamp, userId, applicationId, message',
          'filter ispresent(applicationId)',
          'stats count(*) as events by userId, applicationId, message',
          'sort events desc',
          'limit 25',
        ].join('\n| '),
        width: 24,
        height: 6,
      },
    ],
  ],
};
