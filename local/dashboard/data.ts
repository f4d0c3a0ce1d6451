/**
 * `GET /dashboard/data.json`: the widgets of the dashboard definition (packages/cdk/src/monitoring/, the
 * one the CloudWatch dashboard is rendered from) with their series computed from the local {@link MetricStore},
 * for the local applications. Vault metrics come from the handlers' EMF records; the per-function Lambda metrics
 * from the local stack's own counters (./invocations); what only AWS has (the dead-letter queue, Logs Insights)
 * comes with a note instead of lines.
 */
import {
  DASHBOARD,
  extraDimensions,
  type AwsSeries,
  type DashboardDefinition,
  type Statistic,
  type VaultSeries,
  type WidgetDefinition,
} from '@token-vault/cdk/src/monitoring';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import {
  AWS_METRICS,
  DIMENSIONS,
  METRICS,
  METRICS_NAMESPACE,
  UNKNOWN_APPLICATION,
} from '@token-vault/cdk/src/definitions/metrics';
import type { DimensionValues, MetricStore } from './metric-store';

/** Longest window data.json serves (the store keeps one hour). */
export const MAX_WINDOW_SECONDS = 3600;
/** Shortest default window: enough buckets for a readable chart right after startup. */
export const MIN_WINDOW_SECONDS = 300;

/** One line of a chart: one value per bucket (null: no datapoint). */
export interface LineData {
  readonly label: string;
  readonly namespace: string;
  readonly metric: string;
  readonly stat: Statistic;
  readonly dimensions: DimensionValues;
  readonly values: ReadonlyArray<number | null>;
}

export interface MetricWidgetData {
  readonly kind: 'metric';
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly width: number;
  readonly height: number;
  readonly stacked: boolean;
  /** What differs locally (e.g. "AWS only"), shown under the title. */
  readonly note?: string;
  /** True when the widget's data exists only in AWS: it has no lines locally. */
  readonly awsOnly: boolean;
  readonly lines: readonly LineData[];
}

export interface LogsWidgetData {
  readonly kind: 'logs';
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly width: number;
  readonly height: number;
  readonly note: string;
  readonly query: string;
  readonly logGroups: readonly string[];
}

export type WidgetData = MetricWidgetData | LogsWidgetData;

export interface DashboardData {
  readonly title: string;
  readonly generatedAt: string;
  /** Local bucket length (the definition's CloudWatch period is {@link definitionPeriodSeconds}). */
  readonly periodSeconds: number;
  readonly definitionPeriodSeconds: number;
  /** Start (ms) of each bucket, oldest first; every line has one value per timestamp. */
  readonly timestamps: readonly number[];
  readonly applications: readonly string[];
  readonly rows: ReadonlyArray<readonly WidgetData[]>;
}

export interface DashboardDataOptions {
  readonly store: MetricStore;
  /** Application ids of the local stack. */
  readonly applications: readonly string[];
  /** Window length; default: since the first datapoint, at least {@link MIN_WINDOW_SECONDS}, at most an hour. */
  readonly windowSeconds?: number;
  readonly now?: number;
  readonly definition?: DashboardDefinition;
}

/** Statistics that count: a bucket without a datapoint is a 0, as with `FILL(m, 0)`. */
const COUNTING: ReadonlySet<Statistic> = new Set(['Sum', 'SampleCount']);

const AWS_ONLY_QUEUE_NOTE =
  'AWS only: the local stack has no dead-letter queue (asynchronous invocations that fail are logged).';
const LOCAL_LAMBDA_NOTE =
  'Locally: counted by the local stack around each handler call (in AWS: the AWS/Lambda metrics).';
const LOCAL_THROTTLE_NOTE = 'Locally: never throttled (no concurrency limit); in AWS: the AWS/Lambda Throttles metric.';
const LOGS_NOTE =
  'CloudWatch Logs Insights in AWS: this query runs over the functions\u2019 log groups. Locally, the same JSON lines are on the local stack\u2019s stdout.';

export function dashboardData(options: DashboardDataOptions): DashboardData {
  const { store } = options;
  const definition = options.definition ?? DASHBOARD;
  const now = options.now ?? Date.now();
  const to = store.bucketOf(now);
  const windowMs = (options.windowSeconds ?? defaultWindowSeconds(store, now)) * 1000;
  const from = to - Math.max(store.bucketMs, Math.min(windowMs, MAX_WINDOW_SECONDS * 1000)) + store.bucketMs;
  const timestamps: number[] = [];
  for (let t = from; t <= to; t += store.bucketMs) timestamps.push(t);

  const context: SeriesContext = { store, from, to, applications: options.applications };
  return {
    title: definition.title,
    generatedAt: new Date(now).toISOString(),
    periodSeconds: store.bucketMs / 1000,
    definitionPeriodSeconds: definition.periodSeconds,
    timestamps,
    applications: [...options.applications],
    rows: definition.rows.map((row) => row.map((widget) => widgetData(widget, context))),
  };
}

/** Since the first datapoint (rounded up to a minute), within [MIN_WINDOW_SECONDS, MAX_WINDOW_SECONDS]. */
function defaultWindowSeconds(store: MetricStore, now: number): number {
  const first = store.earliest();
  const since = first === undefined ? 0 : Math.ceil((now - first) / 60_000) * 60;
  return Math.min(MAX_WINDOW_SECONDS, Math.max(MIN_WINDOW_SECONDS, since));
}

interface SeriesContext {
  readonly store: MetricStore;
  readonly from: number;
  readonly to: number;
  readonly applications: readonly string[];
}

function widgetData(widget: WidgetDefinition, context: SeriesContext): WidgetData {
  const common = {
    id: widget.id,
    title: widget.title,
    description: widget.description,
    width: widget.width,
    height: widget.height,
  };
  if (widget.kind === 'logs') {
    return {
      ...common,
      kind: 'logs',
      note: LOGS_NOTE,
      query: widget.query,
      logGroups: widget.functions.map((key) => `/aws/lambda/${FUNCTIONS[key].name}`),
    };
  }
  const lines: LineData[] = [];
  const notes = new Set<string>();
  let awsOnly = widget.series.length > 0;
  for (const series of widget.series) {
    if (series.source === 'vault') {
      awsOnly = false;
      lines.push(...vaultLines(series, context));
      continue;
    }
    const aws = awsLines(series, context);
    notes.add(aws.note);
    if (!aws.awsOnly) awsOnly = false;
    lines.push(...aws.lines);
  }
  return {
    ...common,
    kind: 'metric',
    stacked: widget.stacked ?? false,
    ...(notes.size > 0 ? { note: [...notes].join(' ') } : {}),
    awsOnly,
    lines,
  };
}

/** Like the CloudWatch dashboard: one line per application, or per seen dimension values when split. */
function vaultLines(series: VaultSeries, { store, from, to, applications }: SeriesContext): LineData[] {
  const definition = METRICS[series.metric];
  const others = extraDimensions(series.metric);
  const fillZero = COUNTING.has(series.stat);
  const apps = series.includeUnknownApplication === true ? [...applications, UNKNOWN_APPLICATION] : applications;
  const base = { namespace: METRICS_NAMESPACE, metric: definition.name, stat: series.stat };
  const lines: LineData[] = [];
  for (const application of apps) {
    const found = store.find({
      namespace: METRICS_NAMESPACE,
      name: definition.name,
      dimensionNames: definition.dimensions,
      where: { [DIMENSIONS.APPLICATION]: application },
    });
    if (others.length > 0 && series.split) {
      // A SEARCH: every combination seen in the window (none seen: no line, as CloudWatch draws none).
      for (const key of found) {
        const values = store.values([key], series.stat, from, to, { fillZero });
        if (values.every((v) => v === null || (fillZero && v === 0))) continue;
        const label = `${application} ${series.label}: ${others.map((name) => key.dimensions[name] ?? '').join(' ')}`;
        lines.push({ ...base, label, dimensions: key.dimensions, values });
      }
      continue;
    }
    // Application only, or the other dimensions summed: always one line (the unknown application only with data).
    const values = store.values(found, series.stat, from, to, { fillZero });
    if (application === UNKNOWN_APPLICATION && values.every((v) => v === null || v === 0)) continue;
    lines.push({
      ...base,
      label: `${application} ${series.label}`,
      dimensions: { [DIMENSIONS.APPLICATION]: application },
      values,
    });
  }
  return lines;
}

/** Lambda metrics: one line per function from the local counters; the dead-letter queue: AWS only. */
function awsLines(
  series: AwsSeries,
  { store, from, to }: SeriesContext,
): { lines: LineData[]; note: string; awsOnly: boolean } {
  const definition = AWS_METRICS[series.metric];
  if (definition.namespace !== 'AWS/Lambda') return { lines: [], note: AWS_ONLY_QUEUE_NOTE, awsOnly: true };
  const fillZero = COUNTING.has(series.stat);
  const lines = Object.values(FUNCTIONS).map((fn): LineData => {
    const dimensions = { [definition.dimension]: fn.name };
    const keys = store.find({ namespace: definition.namespace, name: definition.name, where: dimensions });
    return {
      label: fn.name,
      namespace: definition.namespace,
      metric: definition.name,
      stat: series.stat,
      dimensions,
      values: store.values(keys, series.stat, from, to, { fillZero }),
    };
  });
  return {
    lines,
    note: series.metric === 'LAMBDA_THROTTLES' ? LOCAL_THROTTLE_NOTE : LOCAL_LAMBDA_NOTE,
    awsOnly: false,
  };
}
