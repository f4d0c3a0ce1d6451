/** The shapes of the monitoring definition: series, widgets, the dashboard and the alarms, as data. */
import type { FunctionKey } from '../definitions/functions';
import type { AwsMetricKey, DimensionName, MetricKey } from '../definitions/metrics';

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
