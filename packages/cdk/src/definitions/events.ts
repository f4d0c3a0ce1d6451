/**
 * The lifecycle events' delivery resources, defined once for the construct and the local stack: the retry queue
 * that holds events whose put failed, drained by the sweep, and its dead-letter queue.
 */

/**
 * The `detail-type` of every lifecycle event (docs/contract.md "Events"), the EventType dimension's values. The
 * functions' contract checks at compile time that these are the caller library's EVENT_DETAIL_TYPES.
 */
export const EVENT_TYPES = [
  'Connection Connected',
  'Connection Refresh Failed',
  'Connection Reauthorization Required',
  'Connection Recovered',
  'Connection Revoked',
  'Provider Revocation Confirmed',
] as const;

/** Receives of one queued event before SQS moves it to the dead-letter queue (about 25 minutes of 5-minute sweeps). */
export const EVENT_RETRY_RECEIVES = 5;

/** How long a received event stays invisible before the next sweep may receive it again. */
export const EVENT_RETRY_VISIBILITY_SECONDS = 60;

/** The default bus name of a vault: `<vault name>-connection-events`. */
export function eventBusName(vaultName: string): string {
  return `${vaultName}-connection-events`;
}
