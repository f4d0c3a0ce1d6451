/**
 * The vault's alarms, built from the alarm definitions in src/monitoring/: one alarm per application (vault
 * metrics), per function (Lambda metrics) or per queue (SQS metrics). Alarms name fixed dimension values, as alarms
 * cannot search.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { AlarmDefinition } from '../monitoring';
import { FUNCTIONS, type FunctionKey } from '../definitions/functions';
import { AWS_METRICS, type AwsMetricDefinition } from '../definitions/metrics';
import { termMetric, type MonitoredQueues, type MonitoringMetrics } from './monitoring-metrics';

/** One created alarm and what it watches. */
export interface MonitoringAlarm {
  /** Id of the alarm's definition (the vault's dashboard definition). */
  readonly definitionId: string;
  /** Title of the alarm's definition. */
  readonly title: string;
  /** The application (vault metrics), the function key (Lambda metrics) or `dead-letters`. */
  readonly subject: string;
  /** The alarm. */
  readonly alarm: cloudwatch.Alarm;
}

/** Subject (part of the alarm's construct id) and description of each queue's alarm. */
const QUEUE_ALARMS: Readonly<Record<keyof MonitoredQueues, { subject: string; about: string }>> = {
  deadLetters: { subject: 'dead-letters', about: 'dead-letter queue' },
  refreshDeadLetters: { subject: 'refresh-dead-letters', about: 'refresh queue' },
  eventDeadLetters: { subject: 'event-dead-letters', about: 'event dead-letter queue' },
  refreshWork: { subject: 'refresh-queue', about: 'refresh queue' },
};

/** The alarms of one definition, created in `scope`. */
export function buildAlarms(
  scope: Construct,
  metrics: MonitoringMetrics,
  definition: AlarmDefinition,
): MonitoringAlarm[] {
  const period = Duration.seconds(definition.periodSeconds);
  const create = (subject: string, metric: cloudwatch.IMetric, about: string): MonitoringAlarm => ({
    definitionId: definition.id,
    title: definition.title,
    subject,
    alarm: new cloudwatch.Alarm(scope, `${definition.id}-${subject}`, {
      metric,
      alarmDescription: `token-vault ${definition.title} (${about}): ${definition.description}`,
      comparisonOperator: cloudwatch.ComparisonOperator[comparisonKey(definition.comparison)],
      threshold: definition.threshold,
      evaluationPeriods: definition.evaluationPeriods,
      datapointsToAlarm: definition.datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  });
  const signal = definition.signal;
  switch (signal.kind) {
    case 'aws': {
      const aws = AWS_METRICS[signal.metric];
      if (aws.namespace === 'AWS/SQS') {
        const metric = metrics.queueMetric(signal.metric, signal.stat);
        const { subject, about } = QUEUE_ALARMS[(aws as AwsMetricDefinition).queue ?? 'deadLetters'];
        return metric === undefined ? [] : [create(subject, metric.with({ period }), about)];
      }
      return (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) =>
        create(
          key,
          metrics.functionMetric(signal.metric, key, signal.stat).with({ period }),
          `function ${FUNCTIONS[key].name}`,
        ),
      );
    }
    case 'vault-sum':
      return metrics.applications(definition.includeUnknownApplication).map((application) => {
        const terms = signal.terms.map((term) => termMetric(term, application, period));
        const metric =
          terms.length === 1
            ? terms[0]!
            : new cloudwatch.MathExpression({
                expression: `SUM([${terms.map((_, index) => `m${index}`).join(', ')}])`,
                usingMetrics: Object.fromEntries(terms.map((term, index) => [`m${index}`, term])),
                label: definition.title,
                period,
              });
        return create(application, metric, `application ${application}`);
      });
    case 'vault-failure-percent':
      return metrics.applications(definition.includeUnknownApplication).map((application) => {
        const ok = signal.ok.map((term) => termMetric(term, application, period));
        const okSum = ok.map((_, index) => `FILL(ok${index}, 0)`).join(' + ');
        const metric = new cloudwatch.MathExpression({
          expression: `IF(total >= ${signal.minimumTotal}, 100 * (total - (${okSum})) / total, 0)`,
          usingMetrics: {
            total: termMetric(signal.total, application, period),
            ...Object.fromEntries(ok.map((term, index) => [`ok${index}`, term])),
          },
          label: `${definition.title} (%)`,
          period,
        });
        return create(application, metric, `application ${application}`);
      });
  }
}

function comparisonKey(comparison: AlarmDefinition['comparison']): keyof typeof cloudwatch.ComparisonOperator {
  return comparison === 'GreaterThanThreshold' ? 'GREATER_THAN_THRESHOLD' : 'GREATER_THAN_OR_EQUAL_TO_THRESHOLD';
}
