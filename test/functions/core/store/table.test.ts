/**
 * One table as the stores use it (packages/cdk/functions/core/store/table.ts): every call carries an abort signal
 * at the earlier of the caller's deadline and the per-call budget, and `send` maps SDK errors to StoreErrors.
 */
import { Table, type DocumentClient } from '@token-vault/cdk/functions/core/store/table';
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { ManualClock } from '../../../support/clock';

/** A client that records the signal of each call and answers with `answer`. */
function recordingClient(answer: () => Promise<unknown>): DocumentClient & { signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  return {
    signals,
    send: (_command, options) => {
      signals.push(options!.abortSignal!);
      return answer();
    },
  };
}

describe('Table', () => {
  it('aborts a call at the per-call budget when the deadline is later', async () => {
    const clock = new ManualClock();
    const client = recordingClient(() => Promise.resolve({ Item: {} }));
    const table = new Table(client, 'connections', 300);
    await expect(table.send({}, Deadline.at(clock.now() + 10_000, clock), 'read')).resolves.toEqual({ Item: {} });
    const [signal] = client.signals;
    clock.advance(299);
    expect(signal!.aborted).toBe(false);
    clock.advance(1);
    expect(signal!.aborted).toBe(true);
  });

  it('aborts a call at the deadline when it comes first', async () => {
    const clock = new ManualClock();
    const client = recordingClient(() => Promise.resolve({}));
    await new Table(client, 'connections', 2_000).call({}, Deadline.at(clock.now() + 100, clock));
    clock.advance(100);
    expect(client.signals[0]!.aborted).toBe(true);
  });

  it('send maps a failed condition to conflict and other SDK errors to unavailable, naming the operation', async () => {
    const clock = new ManualClock();
    const deadline = Deadline.at(clock.now() + 1_000, clock);
    const failing = (name: string) =>
      new Table(
        recordingClient(() => Promise.reject(Object.assign(new Error('quoted request'), { name }))),
        't',
        100,
      );
    await expect(failing('ConditionalCheckFailedException').send({}, deadline, 'save')).rejects.toMatchObject({
      code: 'conflict',
      message: 'save: condition failed.',
    });
    const unavailable = await failing('TimeoutError')
      .send({}, deadline, 'read')
      .catch((error: unknown) => error);
    expect(unavailable).toBeInstanceOf(StoreError);
    expect(unavailable).toMatchObject({ code: 'unavailable', message: 'read: DynamoDB failed (TimeoutError).' });
  });

  it('call passes SDK errors through as they are (for callers that read cancellation reasons)', async () => {
    const clock = new ManualClock();
    const sdk = Object.assign(new Error('cancelled'), {
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
    const table = new Table(
      recordingClient(() => Promise.reject(sdk)),
      't',
      100,
    );
    await expect(table.call({}, Deadline.at(clock.now() + 1_000, clock))).rejects.toBe(sdk);
  });
});
