/**
 * How every AWS SDK client of the functions is configured: attempts per call, and per-attempt timeouts that really
 * end a stalled call inside the call's budget.
 */

/** SDK attempts per AWS call; each gets a third of the call's budget as its timeout. */
export const SDK_ATTEMPTS = 3;

/**
 * SDK client settings under which a stalled endpoint really times out: the pinned HTTP handler only logs a
 * warning when `requestTimeout` passes unless `throwOnRequestTimeout` is set.
 */
export function sdkClientConfig(callTimeoutMs: number) {
  const attemptMs = Math.max(50, Math.floor(callTimeoutMs / SDK_ATTEMPTS));
  return {
    maxAttempts: SDK_ATTEMPTS,
    requestHandler: { connectionTimeout: attemptMs, requestTimeout: attemptMs, throwOnRequestTimeout: true },
  } as const;
}

/** One attempt per put: the retry queue is the retry, and a put retried after a lost answer would duplicate. */
export function eventBridgeClientConfig(callTimeoutMs: number) {
  return {
    ...sdkClientConfig(callTimeoutMs),
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: callTimeoutMs,
      requestTimeout: callTimeoutMs,
      throwOnRequestTimeout: true,
    },
  } as const;
}
