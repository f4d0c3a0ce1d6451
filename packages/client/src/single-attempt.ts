/**
 * One attempt for an Invoke that must not be repeated (`complete` spends its single-use handle), whatever the
 * Lambda client's retry settings: the library's default client retries once (token-fetch, refresh and status are
 * safe to repeat), and a client the caller passes in may retry more.
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
 * Adds a middleware to this one command, inside the retry middleware (the `deserialize` step runs once per
 * attempt): the first attempt goes through; its failure comes out as a {@link SingleAttemptError}, which the
 * retry middleware does not retry; and should a retry come anyway (a retry strategy that retries everything), it
 * is refused before anything is sent.
 */
export function singleAttempt(command: InvokeCommand): InvokeCommand {
  let attempted = false;
  let firstError: unknown;
  command.middlewareStack.add(
    (next) => async (args) => {
      if (attempted) throw new SingleAttemptError('not sent again: the request may not be repeated', firstError);
      attempted = true;
      try {
        return await next(args);
      } catch (err) {
        firstError = err;
        const name = err instanceof Error ? err.name : 'Error';
        throw new SingleAttemptError(`the one attempt failed (${name})`, err);
      }
    },
    { step: 'deserialize', priority: 'high', name: 'tokenVaultSingleAttempt' },
  );
  return command;
}
