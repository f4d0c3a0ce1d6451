/**
 * The retry drain's time budget, on a virtual clock: the sweep gives it a tenth of its time, which at the deployed
 * defaults (60 s sweep, 2 s per AWS call) is shorter than one batch's receive, put and delete. The first batch must
 * still run, on a clock that moves between two reads, or the queue is never drained.
 */
import { EVENT_DETAIL_TYPES } from '@token-vault/cdk/functions/contract/events';
import { drainEventRetries } from '@token-vault/cdk/functions/core/events/drain-retries';
import { connectionEvent } from '@token-vault/cdk/functions/core/events/publisher';
import type { RetryMessage } from '@token-vault/cdk/functions/core/events/transport';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { ManualClock } from '../../../support/clock';
import { FakeBus, FakeQueue } from '../../../support/event-ports';

/** A clock that moves a millisecond each time it is read, as a busy machine's does. */
class TickingClock extends ManualClock {
  override now(): number {
    this.advance(1);
    return super.now();
  }
}

/** A queue whose every receive takes `receiveMs` of the clock. */
class SlowQueue extends FakeQueue {
  constructor(
    private readonly clock: ManualClock,
    private readonly receiveMs: number,
  ) {
    super();
  }
  override receive(max: number): Promise<RetryMessage[]> {
    this.clock.advance(this.receiveMs);
    return super.receive(max);
  }
}

const subject = { userId: 'alice', applicationId: 'crm', connectionId: '0b6f3c1e-9a4d-4b6e-8f3a-2d1c5e7a9b0c' };

async function queued(queue: FakeQueue, count: number, clock: ManualClock): Promise<void> {
  const entries = Array.from({ length: count }, () => {
    const event = connectionEvent(EVENT_DETAIL_TYPES.revoked, subject, clock.now(), {
      reason: 'user_disconnected',
      previousStatus: 'active',
      providerRevocation: 'confirmed',
    });
    return { type: event.type, detail: event.detail };
  });
  await queue.send(entries);
}

const SWEEP_REMAINING_MS = 59_500;
const CALL_MS = 2_000;

it('the first batch runs when the budget is shorter than a batch and the clock moves between reads', async () => {
  const clock = new TickingClock();
  const queue = new FakeQueue();
  await queued(queue, 3, clock);
  const bus = new FakeBus((e) => e.map(() => true));
  const deadline = Deadline.fromRemaining(SWEEP_REMAINING_MS, clock, 0);
  const result = await drainEventRetries(
    { bus, retries: queue, callMs: CALL_MS, budgetMs: deadline.remaining() / 10 },
    deadline,
  );
  expect(result).toEqual({ published: 3, failed: 0 });
  expect(queue.deleted).toHaveLength(3);
});

it('later batches start only while the budget lasts', async () => {
  const clock = new ManualClock();
  const queue = new SlowQueue(clock, 2_500);
  await queued(queue, 35, clock);
  const bus = new FakeBus((e) => e.map(() => true));
  const deadline = Deadline.fromRemaining(SWEEP_REMAINING_MS, clock, 0);
  // Batches start at 0, 2.5 s and 5 s; at 7.5 s the 5.95 s budget is spent.
  const result = await drainEventRetries({ bus, retries: queue, callMs: CALL_MS, budgetMs: 5_950 }, deadline);
  expect(result).toEqual({ published: 30, failed: 0 });
  expect(bus.put_).toHaveLength(3);
});

it('no batch starts when the deadline does not allow one, whatever the budget', async () => {
  const clock = new ManualClock();
  const queue = new FakeQueue();
  await queued(queue, 1, clock);
  const bus = new FakeBus((e) => e.map(() => true));
  const deadline = Deadline.fromRemaining(3 * CALL_MS - 1, clock, 0);
  const result = await drainEventRetries({ bus, retries: queue, callMs: CALL_MS, budgetMs: 60_000 }, deadline);
  expect(result).toEqual({ published: 0, failed: 0 });
  expect(bus.put_).toHaveLength(0);
});
