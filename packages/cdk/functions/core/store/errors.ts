/**
 * Errors of the stores. `conflict` is the expected outcome of losing a conditional write; `unavailable` means
 * DynamoDB failed or did not answer in time (a write may then have been applied or not: callers re-read);
 * `corrupt` means an item does not have the shape the vault writes.
 */
import { CoreError } from '../base-error';

export type StoreFailure = 'conflict' | 'unavailable' | 'corrupt';

export class StoreError extends CoreError<StoreFailure> {
  override readonly name = 'StoreError';
}

/** Maps a DynamoDB SDK error: condition failures are conflicts; everything else means the store failed. */
export function toStoreError(error: unknown, operation: string): StoreError {
  if (error instanceof StoreError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  if (name === 'ConditionalCheckFailedException') return new StoreError('conflict', `${operation}: condition failed.`);
  if (name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
    if (reasons.some((r) => r.Code === 'ConditionalCheckFailed'))
      return new StoreError('conflict', `${operation}: condition failed.`);
  }
  // Only the SDK error's name: its message may quote the request, which can hold sealed fields.
  return new StoreError('unavailable', `${operation}: DynamoDB failed (${name}).`, { cause: { name } });
}

/** Why a callback's save was refused: the item moved on, or a revoke ended the flow it belongs to. */
export class FlowEndedError extends StoreError {
  constructor() {
    super('conflict', 'save connection: a revoke ended this authorization flow.');
  }
}
