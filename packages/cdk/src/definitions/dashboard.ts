/**
 * The dashboard and the alarms, as data: which widgets, which metrics (by key of ./metrics), which statistics,
 * which thresholds. src/constructs/monitoring.ts renders them as a CloudWatch dashboard and alarms for the
 * configured applications; the local stack draws the same widgets from the metrics a local run emitted; a test
 * checks that every metric referenced here is emitted under the same name and dimensions, and the reverse.
 *
 * Vault metrics are drawn for every configured application (the Application dimension). Their other dimensions
 * (Trigger, Result, ErrorCode, Reason) are open sets (provider error codes), so a split series draws every value
 * seen (a CloudWatch SEARCH expression) instead of listing them; alarms, which cannot search, name fixed values.
 */
import { EVENT_TYPES } from './events';
import { FUNCTIONS, type FunctionKey } from './functions';
import {
  AUTHORIZATION_FAILURE_REASONS,
  DIMENSIONS,
  METRICS,
  REFRESH_TRIGGERS,
  RESULT_OK,
  type AwsMetricKey,
  type DimensionName,
  type MetricKey,
} from './metrics';

/** CloudWatch statistics the definitions use (percentiles as `pNN`). */
export type Statistic = 'Sum' | 'Maximum' | 'Average' | 'SampleCount' | 'p50' | 'p99';

/** One of the vault's own metrics, drawn for each configured application. */
export interface VaultSeries {
  readonly source: 'vault';
  readonly metric: MetricKey;
  readonly stat: Statistic;
  /**
   * true: one line per value combination of the metric's dimensions other than Application (every value seen);
   * false: those values summed into one line per application. Irrelevant for metrics with Application only.
   */
  readonly split: boolean;
  /** Also draw the `Application=unknown` series (callback failures whose state named no application). */
  readonly includeUnknownApplication?: boolean;
  readonly label: string;
}

/** A metric AWS publishes: for Lambda metrics one line per function, for SQS the dead-letter queue. */
export interface AwsSeries {
  readonly source: 'aws';
  readonly metric: AwsMetricKey;
  readonly stat: Statistic;
  readonly label: string;
}

export type SeriesDefinition = VaultSeries | AwsSeries;

export interface MetricWidgetDefinition {
  readonly kind: 'metric';
  /** Stable id (kebab-case), e.g. for the local page's elements and the tests. */
  readonly id: string;
  readonly title: string;
  /** One sentence for a newcomer: what the widget shows and what to look for. */
  readonly description: string;
  readonly series: readonly SeriesDefinition[];
  readonly stacked?: boolean;
  /** Grid units out of 24. */
  readonly width: number;
  readonly height: number;
}

/** A CloudWatch Logs Insights query over the functions' JSON logs (per-user visibility without per-user metrics). */
export interface LogsWidgetDefinition {
  readonly kind: 'logs';
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Functions whose log groups are queried. */
  readonly functions: readonly FunctionKey[];
  /** The query, without the SOURCE clause. Fields are Powertools Logger JSON keys. */
  readonly query: string;
  readonly width: number;
  readonly height: number;
}

export type WidgetDefinition = MetricWidgetDefinition | LogsWidgetDefinition;

export interface DashboardDefinition {
  readonly title: string;
  /** Aggregation period of every metric widget. */
  readonly periodSeconds: number;
  /** Rows of widgets, top to bottom; widths of a row add up to at most 24. */
  readonly rows: readonly (readonly WidgetDefinition[])[];
}

/** One fixed series of a vault metric for one application: `where` names a value for every other dimension. */
export interface VaultTerm {
  readonly metric: MetricKey;
  readonly stat: Statistic;
  readonly where: Readonly<Partial<Record<DimensionName, string>>>;
}

export type AlarmSignal =
  /** Per application: the sum of the terms. */
  | { readonly kind: 'vault-sum'; readonly terms: readonly VaultTerm[] }
  /**
   * Per application: the failed share in percent, `100 * (total - sum(ok)) / total`, and 0 while `total` is below
   * `minimumTotal` (a single failure out of two is no trend).
   */
  | {
      readonly kind: 'vault-failure-percent';
      readonly ok: readonly VaultTerm[];
      readonly total: VaultTerm;
      readonly minimumTotal: number;
    }
  /** An AWS metric: one alarm per function (Lambda metrics) or on the dead-letter queue (SQS). */
  | { readonly kind: 'aws'; readonly metric: AwsMetricKey; readonly stat: Statistic };

export interface AlarmDefinition {
  /** PascalCase, unique: the construct id (with the application id or function key). */
  readonly id: string;
  readonly title: string;
  /** What it means and what to do; goes into the alarm description. */
  readonly description: string;
  readonly signal: AlarmSignal;
  /** For vault signals: one more alarm on `Application=unknown`. */
  readonly includeUnknownApplication?: boolean;
  readonly comparison: 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

const PERIOD_SECONDS = 300;

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
          'Failed sweep deliveries and failed asynchronous refresh invocations, and lifecycle events the sweep could not put, waiting in their queues.',
        series: [aws('DLQ_MESSAGES_VISIBLE', 'Maximum', 'messages visible')],
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

/**
 * Refused callbacks that are not an attack or an outage: a user saying no, a flow a revoke ended on purpose, a
 * connect to retry once a pending revocation is done, a session-bound flow completed twice or too late (a 256-bit
 * handle is not guessed). A `session_mismatch` (someone else completed the link) does count.
 */
const NOT_A_FAILURE_SIGNAL: ReadonlySet<string> = new Set([
  'denied',
  'flow_ended',
  'revocation_pending',
  'flow_unknown',
  'flow_expired',
]);

/** Callback failure reasons that count towards the spike alarm. */
const CALLBACK_FAILURE_REASONS = AUTHORIZATION_FAILURE_REASONS.filter((reason) => !NOT_A_FAILURE_SIGNAL.has(reason));

export const ALARMS: readonly AlarmDefinition[] = [
  {
    id: 'RefreshFailureRate',
    title: 'Refresh failure rate',
    description:
      'More than 20% of refreshes at the provider failed in 2 of the last 3 periods (at least 10 refreshes each). ' +
      'Check the provider status and the RefreshFailure error codes on the dashboard.',
    signal: {
      kind: 'vault-failure-percent',
      ok: REFRESH_TRIGGERS.map((trigger) => ({
        metric: 'REFRESH',
        stat: 'Sum',
        where: { [DIMENSIONS.TRIGGER]: trigger, [DIMENSIONS.RESULT]: RESULT_OK },
      })),
      // Exactly one RefreshLatency sample per provider refresh, success or failure: the total without listing
      // every Trigger x Result combination (an alarm may reference 10 metrics at most).
      total: { metric: 'REFRESH_LATENCY', stat: 'SampleCount', where: {} },
      minimumTotal: 10,
    },
    comparison: 'GreaterThanThreshold',
    threshold: 20,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
  },
  {
    id: 'InvalidGrantSpike',
    title: 'invalid_grant spike',
    description:
      'At least 10 refreshes answered invalid_grant in 5 minutes: users are being logged out (grants revoked at the provider, ' +
      'or refresh token reuse detected). Check for a second system refreshing the same tokens.',
    signal: {
      kind: 'vault-sum',
      terms: [{ metric: 'REFRESH_FAILURE', stat: 'Sum', where: { [DIMENSIONS.ERROR_CODE]: 'invalid_grant' } }],
    },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 10,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'CallbackFailureSpike',
    title: 'Callback failure spike',
    description:
      'At least 10 callbacks refused in 5 minutes (bad or replayed state, iss mismatch, failed code exchange; users denying ' +
      'consent are not counted). Check the AuthorizationFailure reasons on the dashboard.',
    signal: {
      kind: 'vault-sum',
      terms: CALLBACK_FAILURE_REASONS.map((reason) => ({
        metric: 'AUTHORIZATION_FAILURE',
        stat: 'Sum',
        where: { [DIMENSIONS.REASON]: reason },
      })),
    },
    includeUnknownApplication: true,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 10,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'WriteAfterRefreshFailed',
    title: 'Failed write after refresh',
    description:
      'Refreshed tokens could not be stored: the rotated refresh token may be lost and the user may have to connect again. ' +
      'Check DynamoDB throttling and errors in the refresh and token-fetch logs.',
    signal: { kind: 'vault-sum', terms: [{ metric: 'WRITE_AFTER_REFRESH_FAILED', stat: 'Sum', where: {} }] },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'PendingRevocationAge',
    title: 'Revocation not confirmed by the provider',
    description:
      'A revoked refresh token has not been confirmed as revoked by the provider for an hour: the grant may still be live there. ' +
      'Check the provider revocation endpoint, the client secret, and the refresh function logs ("Provider revocation failed").',
    signal: { kind: 'vault-sum', terms: [{ metric: 'OLDEST_PENDING_REVOCATION_AGE', stat: 'Maximum', where: {} }] },
    comparison: 'GreaterThanThreshold',
    threshold: 60 * 60 * 1000,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'RefreshBacklog',
    title: 'Proactive refresh behind',
    description:
      'The oldest connection due for a proactive refresh has waited more than 10 minutes in 2 periods in a row: callers are refreshing on demand. ' +
      'Check the refresh worker (errors, throttles), provider errors on the dashboard, then raise refreshWorkerMaxConcurrency.',
    signal: { kind: 'vault-sum', terms: [{ metric: 'REFRESH_BACKLOG_AGE', stat: 'Maximum', where: {} }] },
    comparison: 'GreaterThanThreshold',
    threshold: 10 * 60 * 1000,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
  },
  {
    id: 'RefreshDeadLetters',
    title: 'Refresh work dead-lettered',
    description:
      "The refresh worker failed a message 5 times (or it was not a work message); it is in the refresh queue's dead-letter queue. " +
      'The connection stays due in the index and is enqueued again; check the refresh-worker logs.',
    signal: { kind: 'aws', metric: 'REFRESH_DLQ_MESSAGES_VISIBLE', stat: 'Maximum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'ConnectionEventsLost',
    title: 'Connection events lost',
    description:
      'A lifecycle event was decided but neither the event bus nor the retry queue took it: a consumer missed a change. ' +
      'Check the functions\' logs ("A connection event was lost") and reconcile with the status function.',
    signal: {
      kind: 'vault-sum',
      terms: EVENT_TYPES.map((type) => ({
        metric: 'CONNECTION_EVENT',
        stat: 'Sum',
        where: { [DIMENSIONS.EVENT_TYPE]: type, [DIMENSIONS.RESULT]: 'lost' },
      })),
    },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'FunctionErrors',
    title: 'Function errors',
    description:
      'The function ended in an error (expected failures are answers, so this is a bug, a crash or a timeout). Check its log group.',
    signal: { kind: 'aws', metric: 'LAMBDA_ERRORS', stat: 'Sum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'FunctionThrottles',
    title: 'Function throttles',
    description:
      'Invocations were refused for lack of concurrency. Check the account concurrency and reserved concurrency.',
    signal: { kind: 'aws', metric: 'LAMBDA_THROTTLES', stat: 'Sum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'DeadLetters',
    title: 'Dead letters',
    description:
      'A sweep delivery or an asynchronous refresh invocation failed for good (dead-letter queue), or a lifecycle event could not be put ' +
      'after 5 sweeps (event dead-letter queue: redrive it to the retry queue once the bus takes events again).',
    signal: { kind: 'aws', metric: 'DLQ_MESSAGES_VISIBLE', stat: 'Maximum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
];

/** The dimensions of a vault metric besides Application. */
export function extraDimensions(metric: MetricKey): readonly DimensionName[] {
  return METRICS[metric].dimensions.filter((name) => name !== DIMENSIONS.APPLICATION);
}

/** Every widget of a dashboard, row by row. */
export function widgetsOf(dashboard: DashboardDefinition): WidgetDefinition[] {
  return dashboard.rows.flat();
}

/** Every vault metric a dashboard draws. */
export function dashboardVaultMetrics(dashboard: DashboardDefinition): Set<MetricKey> {
  const keys = new Set<MetricKey>();
  for (const widget of widgetsOf(dashboard)) {
    if (widget.kind !== 'metric') continue;
    for (const series of widget.series) if (series.source === 'vault') keys.add(series.metric);
  }
  return keys;
}

/** The vault terms an alarm evaluates (empty for AWS metrics). */
export function alarmTerms(alarm: AlarmDefinition): VaultTerm[] {
  switch (alarm.signal.kind) {
    case 'vault-sum':
      return [...alarm.signal.terms];
    case 'vault-failure-percent':
      return [...alarm.signal.ok, alarm.signal.total];
    case 'aws':
      return [];
  }
}

/** CloudWatch alarms reference at most this many metrics. */
export const MAX_ALARM_METRICS = 10;

/**
 * Problems in a dashboard and alarm definition: widths, ids, alarm terms that leave a dimension open (alarms
 * cannot search), too many metrics in one alarm. Empty when consistent.
 */
export function definitionProblems(dashboard: DashboardDefinition, alarms: readonly AlarmDefinition[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [index, row] of dashboard.rows.entries()) {
    const width = row.reduce((sum, widget) => sum + widget.width, 0);
    if (width > 24) problems.push(`row ${index}: widths add up to ${width} > 24`);
    for (const widget of row) {
      if (ids.has(widget.id)) problems.push(`widget ${widget.id}: duplicate id`);
      ids.add(widget.id);
    }
  }
  const alarmIds = new Set<string>();
  for (const alarm of alarms) {
    if (alarmIds.has(alarm.id)) problems.push(`alarm ${alarm.id}: duplicate id`);
    alarmIds.add(alarm.id);
    const terms = alarmTerms(alarm);
    if (terms.length > MAX_ALARM_METRICS)
      problems.push(`alarm ${alarm.id}: ${terms.length} metrics > ${MAX_ALARM_METRICS}`);
    for (const term of terms) {
      const expected = [...extraDimensions(term.metric)].sort();
      const given = Object.keys(term.where).sort();
      if (expected.join() !== given.join()) {
        problems.push(
          `alarm ${alarm.id}: ${METRICS[term.metric].name} needs a value for exactly [${expected.join(', ')}], got [${given.join(', ')}]`,
        );
      }
    }
  }
  return problems;
}
