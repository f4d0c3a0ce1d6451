/**
 * Powertools Logger and Metrics, created once per container, and the adapters that hand them to the core.
 * Each metric is emitted as its own EMF record (singleMetric) because metrics of one invocation carry different
 * dimension sets.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, METRICS_NAMESPACE, SERVICE_NAME, type MetricKey } from '../../src/definitions/metrics';
import type { Dimensions, VaultLogger, VaultMetrics } from '../core/observability';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export const vaultLogger: VaultLogger = {
  info: (message, attributes) => logger.info(message, attributes ?? {}),
  warn: (message, attributes) => logger.warn(message, attributes ?? {}),
  error: (message, attributes) => logger.error(message, attributes ?? {}),
};

export const vaultMetrics: VaultMetrics = {
  count: (metric, dimensions, value = 1) => emit(metric, dimensions, value),
  timing: (metric, dimensions, milliseconds) => emit(metric, dimensions, milliseconds),
};

function emit(key: MetricKey, dimensions: Dimensions, value: number): void {
  const definition = METRICS[key];
  const single = metrics.singleMetric();
  // No implicit `service` dimension: the dashboard queries exactly the declared dimension sets.
  single.clearDefaultDimensions();
  // Only the declared dimensions, in declared order: what the dashboard and alarms query.
  for (const name of definition.dimensions) single.addDimension(name, dimensions[name] ?? 'none');
  single.addMetric(definition.name, definition.unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds, value);
}
