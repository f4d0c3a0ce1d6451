/**
 * What the core reports, as interfaces: the functions plug in Powertools Metrics and Logger, tests plug in
 * recorders. Metric names come from definitions/metrics.ts; dimension values are bounded sets, never user ids.
 */
import type { DimensionName, MetricKey } from '../../src/definitions/metrics';
import { CoreError } from './base-error';

export type Dimensions = Partial<Record<DimensionName, string>>;

export interface VaultMetrics {
  /** Adds `value` (default 1) to a Count metric. */
  count(metric: MetricKey, dimensions: Dimensions, value?: number): void;
  /** Records a Milliseconds metric. */
  timing(metric: MetricKey, dimensions: Dimensions, milliseconds: number): void;
}

/** Structured log lines. Attributes must never hold token material, codes or secrets. */
export interface VaultLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export const NO_METRICS: VaultMetrics = { count: () => undefined, timing: () => undefined };
export const NO_LOGS: VaultLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Safe description of an error for logs: the name of any error; code, message and fields of the core's own
 * ({@link CoreError}), whose messages are written to be safe. SDK messages may quote requests, so they are left out.
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorName: 'UnknownError' };
  if (!(error instanceof CoreError)) return { errorName: error.name };
  return { errorName: error.name, code: error.code, ...error.logFields(), errorMessage: error.message };
}
