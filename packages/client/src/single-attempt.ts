/**
 * One attempt for an Invoke that must not be repeated (`complete` spends its single-use handle), whatever the
 * Lambda client's retry settings: the library's default client retries once (token-fetch, refresh and status are
 * safe to repeat), and a client the caller passes in may retry more. Only an attempt that may have reached the
 * function counts: one Lambda refused (a throttle) or that never left this process (no connection) is retried by
 * the SDK as usual, since the handle is untouched.
 */
import type { InvokeCommand } from '@aws-sdk/client-lambda';

/**
 * The failure of the one attempt, passed out of the SDK's retry middleware without a retry: its name, code and
 * metadata match none of the SDK's retryable classes, and it has no `cause` (the SDK looks for transient errors
 * there too). The SDK's own error is in `attemptError`.
 */
export class SingleAttemptError extends Error {
  override readonly name = 'SingleAttemptError';
  constructor(
    message: string,
    /** What the attempt failed with (an SDK or network error). */
    readonly attemptError: unknown,
  ) {
    super(message);
  }
}

/**
 * Network error codes raised before any byte of the request was written: no connection was made (refused), or
 * the host name did not resolve. A reset or a timeout can come after the request was sent, so they are not here.
 */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether an attempt's failure proves the function did not run: Lambda's throttle (429
 * `TooManyRequestsException`: the invocation was refused before it started), or a connection that was never made.
 * (Credential and signing errors never reach this middleware: signing runs before it, and nothing is sent.)
 */
export function provesNotRun(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (e.name === 'TooManyRequestsException' || e.$metadata?.httpStatusCode === 429) return true;
  return typeof e.code === 'string' && NOT_SENT_CODES.has(e.code);
}

/**
 * Adds a middleware to this one command, inside the retry middleware (the `deserialize` step runs once per
 * attempt): an attempt whose failure proves the function did not run passes its error out unchanged, for the SDK
 * to retry as it would any throttle or refused connection; the first attempt that may have reached the function
 * is the last: its failure comes out as a {@link SingleAttemptError}, which the retry middleware does not retry;
 * and should a retry come anyway (a retry strategy that retries everything), it is refused before anything is
 * sent. So every error other than a SingleAttemptError that the send answers means the function did not run.
 */
export function singleAttempt(command: InvokeCommand): InvokeCommand {
  let attempted = false;
  let firstError: unknown;
  command.middlewareStack.add(
    (next) => async (args) => {
      if (attempted) throw new SingleAttemptError('not sent again: the request may not be repeated', firstError);
      try {
        return await next(args);
      } catch (err) {
        if (provesNotRun(err)) throw err;
        attempted = true;
        firstError = err;
        const name = err instanceof Error ? err.name : 'Error';
        throw new SingleAttemptError(`the one attempt failed (${name})`, err);
      }
    },
    { step: 'deserialize', priority: 'high', name: 'tokenVaultSingleAttempt' },
  );
  return command;
}
