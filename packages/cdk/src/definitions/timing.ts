/** The time model's inputs from the tunables and the function definitions (used by the functions and the construct). */
import type { FunctionTimeouts, RefreshTiming } from './budget';
import { FUNCTIONS } from './functions';
import { REFRESH_QUEUE } from './queues';
import { millis, type TunableValues } from './tunables';

/** The time model's inputs from the tunables. */
export function refreshTiming(values: TunableValues): RefreshTiming {
  return {
    providerTimeoutMs: millis(values, 'providerTimeoutMs'),
    awsCallMs: millis(values, 'awsCallTimeoutMs'),
    leaseMs: millis(values, 'refreshLeaseSeconds'),
  };
}

/** The functions' timeouts in milliseconds, as the time model checks them. */
export function functionTimeouts(): FunctionTimeouts {
  return {
    tokenFetchMs: FUNCTIONS.tokenFetch.timeoutSeconds * 1000,
    refreshMs: FUNCTIONS.refresh.timeoutSeconds * 1000,
    callbackMs: FUNCTIONS.callback.timeoutSeconds * 1000,
    revokeMs: FUNCTIONS.revoke.timeoutSeconds * 1000,
    refreshWorkerMs: FUNCTIONS.refreshWorker.timeoutSeconds * 1000,
    queueVisibilityMs: REFRESH_QUEUE.visibilityTimeoutSeconds * 1000,
  };
}
