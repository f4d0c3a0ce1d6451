/**
 * The CloudWatch metrics behind the vault's widgets and alarms: vault metrics per application (fixed series, or
 * SEARCH expressions for metrics split by an open dimension), Lambda metrics per function, SQS metrics per queue.
 * Internal to {@link VaultMonitoring}; shared by its widgets and its alarms.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { extraDimensions, type AwsSeries, type Statistic, type VaultSeries, type VaultTerm } from '../monitoring';
import { FUNCTIONS, type FunctionKey } from '../definitions/functions';
import {
  AWS_METRICS,
  DIMENSIONS,
  METRICS,
  METRICS_NAMESPACE,
  UNKNOWN_APPLICATION,
  type AwsMetricDefinition,
} from '../definitions/metrics';
import type { VaultFunctions } from './vault-function';

/** The queues whose metrics the definition names (`AwsMetricDefinition.queue`). */
export type MonitoredQueues = Readonly<Record<NonNullable<AwsMetricDefinition['queue']>, sqs.IQueue | undefined>>;

/** What the metrics are drawn for. */
export interface MonitoringSubjects {
  readonly functions: VaultFunctions;
  readonly applicationIds: readonly string[];
  readonly queues: MonitoredQueues;
  /** Period of the dashboard's series. */
  readonly periodSeconds: number;
}

/** Builds the metrics of one vault's functions, applications and queues. */
export class MonitoringMetrics {
  public constructor(private readonly subjects: MonitoringSubjects) {}

  public get period(): Duration {
    return Duration.seconds(this.subjects.periodSeconds);
  }

  /** Applications a series or alarm covers. */
  public applications(includeUnknown: boolean | undefined): string[] {
    return includeUnknown === true
      ? [...this.subjects.applicationIds, UNKNOWN_APPLICATION]
      : [...this.subjects.applicationIds];
  }

  /** One line per application; with other dimensions a SEARCH per application (split) or its SUM. */
  public vaultSeries(series: VaultSeries): cloudwatch.IMetric[] {
    const definition = METRICS[series.metric];
    const others = extraDimensions(series.metric);
    const seconds = this.subjects.periodSeconds;
    return this.applications(series.includeUnknownApplication).map((application) => {
      if (others.length === 0) {
        return new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: definition.name,
          dimensionsMap: { [DIMENSIONS.APPLICATION]: application },
          statistic: series.stat,
          period: this.period,
          label: `${application} ${series.label}`,
        });
      }
      const search = `SEARCH('${searchTerm(series.metric, application)}', '${series.stat}', ${seconds})`;
      return new cloudwatch.MathExpression({
        expression: series.split ? search : `SUM(${search})`,
        // Dynamic labels: each line of a SEARCH is named by its dimension values.
        label: series.split
          ? [application, ...others.map((name) => `\${PROP('Dim.${name}')}`)].join(' ')
          : `${application} ${series.label}`,
        period: this.period,
        usingMetrics: {},
      });
    });
  }

  /** Lambda metrics: one line per function; SQS: the dead-letter queue. */
  public awsSeries(series: AwsSeries): cloudwatch.IMetric[] {
    const definition = AWS_METRICS[series.metric];
    if (definition.namespace === 'AWS/SQS') {
      const metric = this.queueMetric(series.metric, series.stat, series.label);
      return metric === undefined ? [] : [metric];
    }
    return (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) =>
      this.functionMetric(series.metric, key, series.stat, FUNCTIONS[key].name),
    );
  }

  public functionMetric(
    metric: keyof typeof AWS_METRICS,
    key: FunctionKey,
    stat: Statistic,
    label?: string,
  ): cloudwatch.Metric {
    const definition = AWS_METRICS[metric];
    return new cloudwatch.Metric({
      namespace: definition.namespace,
      metricName: definition.name,
      dimensionsMap: { [definition.dimension]: this.subjects.functions[key].function.functionName },
      statistic: stat,
      period: this.period,
      ...(label !== undefined ? { label } : {}),
    });
  }

  /** The metric of the queue the definition names; undefined when the vault was given no such queue. */
  public queueMetric(metric: keyof typeof AWS_METRICS, stat: Statistic, label?: string): cloudwatch.Metric | undefined {
    const definition: AwsMetricDefinition = AWS_METRICS[metric];
    const queue = this.subjects.queues[definition.queue ?? 'deadLetters'];
    if (queue === undefined) return undefined;
    return new cloudwatch.Metric({
      namespace: definition.namespace,
      metricName: definition.name,
      dimensionsMap: { [definition.dimension]: queue.queueName },
      statistic: stat,
      period: this.period,
      ...(label !== undefined ? { label } : {}),
    });
  }
}

/** `{Namespace,Dim1,...} MetricName="X" Application="app"`: exactly the metric's dimension set, one application. */
function searchTerm(metric: keyof typeof METRICS, application: string): string {
  const definition = METRICS[metric];
  return `{${[METRICS_NAMESPACE, ...definition.dimensions].join(',')}} MetricName="${definition.name}" ${DIMENSIONS.APPLICATION}="${application}"`;
}

/** The fixed series of a vault term for one application. */
export function termMetric(term: VaultTerm, application: string, period: Duration): cloudwatch.Metric {
  const definition = METRICS[term.metric];
  const dimensionsMap: Record<string, string> = {};
  for (const name of definition.dimensions) {
    dimensionsMap[name] = name === DIMENSIONS.APPLICATION ? application : term.where[name]!;
  }
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: definition.name,
    dimensionsMap,
    statistic: term.stat,
    period,
  });
}
