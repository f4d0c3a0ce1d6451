/** The store's error mapping alone (packages/cdk/functions/core/store/errors.ts). */
import { CoreError } from '@token-vault/cdk/functions/core/base-error';
import { StoreError, toStoreError } from '@token-vault/cdk/functions/core/store/errors';

const sdkError = (name: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name}: request {"token":"x"}`), { name }, extra);

describe('toStoreError', () => {
  it('maps a failed condition to conflict', () => {
    expect(toStoreError(sdkError('ConditionalCheckFailedException'), 'save')).toMatchObject({
      code: 'conflict',
      message: 'save: condition failed.',
    });
  });

  it('maps a transaction cancelled by a condition to conflict', () => {
    const error = sdkError('TransactionCanceledException', {
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
    expect(toStoreError(error, 'revoke')).toMatchObject({ code: 'conflict' });
  });

  it('maps anything else to unavailable, keeping only the SDK error name', () => {
    const mapped = toStoreError(sdkError('ProvisionedThroughputExceededException'), 'read');
    expect(mapped).toBeInstanceOf(CoreError);
    expect(mapped).toMatchObject({
      name: 'StoreError',
      code: 'unavailable',
      message: 'read: DynamoDB failed (ProvisionedThroughputExceededException).',
    });
    expect(mapped.cause).toEqual({ name: 'ProvisionedThroughputExceededException' });
  });

  it('passes a StoreError through', () => {
    const error = new StoreError('corrupt', 'item has no version');
    expect(toStoreError(error, 'read')).toBe(error);
  });
});
