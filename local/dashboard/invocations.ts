/**
 * Local stand-ins for the metrics AWS/Lambda publishes per function (Invocations, Errors, Throttles, Duration):
 * each handler is wrapped so that every call the local stack makes (Invoke API or HTTP API) is recorded in the
 * {@link MetricStore} under the same namespace, names and `FunctionName` dimension the dashboard queries.
 */
import { AWS_METRICS } from '@token-vault/cdk/src/definitions/metrics';
import type { LoadedFunction } from '../lambda-api';
import type { MetricStore } from './metric-store';

const LAMBDA_NAMESPACE = AWS_METRICS.LAMBDA_INVOCATIONS.namespace;

/** The series key of a Lambda metric for a function, as the dashboard data looks it up. */
export function lambdaSeries(
  metric: 'LAMBDA_INVOCATIONS' | 'LAMBDA_ERRORS' | 'LAMBDA_THROTTLES' | 'LAMBDA_DURATION',
  functionName: string,
) {
  const definition = AWS_METRICS[metric];
  return { namespace: LAMBDA_NAMESPACE, name: definition.name, dimensions: { [definition.dimension]: functionName } };
}

/**
 * The same functions with handlers that record one invocation each: Invocations 1, Errors 1 when the handler threw
 * or ran past the function's timeout (else 0), Throttles 0 (the local stack never throttles), Duration in ms.
 */
export function instrumentFunctions(
  functions: ReadonlyMap<string, LoadedFunction>,
  store: MetricStore,
): Map<string, LoadedFunction> {
  const instrumented = new Map<string, LoadedFunction>();
  for (const [name, fn] of functions) {
    const { definition } = fn;
    instrumented.set(name, {
      definition,
      handler: async (event, context) => {
        const started = performance.now();
        let failed = false;
        try {
          return await fn.handler(event, context);
        } catch (error) {
          failed = true;
          throw error;
        } finally {
          const duration = performance.now() - started;
          const timedOut = duration > definition.timeoutSeconds * 1000;
          store.record(lambdaSeries('LAMBDA_INVOCATIONS', definition.name), 1);
          store.record(lambdaSeries('LAMBDA_ERRORS', definition.name), failed || timedOut ? 1 : 0);
          store.record(lambdaSeries('LAMBDA_THROTTLES', definition.name), 0);
          store.record(lambdaSeries('LAMBDA_DURATION', definition.name), duration);
        }
      },
    });
  }
  return instrumented;
}
