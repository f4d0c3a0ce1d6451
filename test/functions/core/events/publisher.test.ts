/**
 * The publisher and the retry drain, over fake ports (faults a real bus or queue can't be made to produce on
 * demand): a detail that is not exactly its schema (a token slipped in) is never sent; what the bus refuses goes
 * to the retry queue; what neither takes is counted lost; the drain deletes only what the bus accepted.
 */
import { EVENT_DETAIL_TYPES } from '@token-vault/cdk/functions/contract/events';
import { drainEventRetries } from '@token-vault/cdk/functions/core/events/drain-retries';
import {
  DeliveringPublisher,
  connectionEvent,
  type ConnectionEvent,
} from '@token-vault/cdk/functions/core/events/publisher';
import type { EventBusPort, RetryQueuePort } from '@token-vault/cdk/functions/core/events/transport';
import { FakeBus, FakeQueue } from '../../../support/event-ports';
import { metricsRecorder, testDeadline } from '../../../support/refresh';

const subject = { userId: 'alice', applicationId: 'crm', connectionId: '0b6f3c1e-9a4d-4b6e-8f3a-2d1c5e7a9b0c' };
const connected = (): ConnectionEvent =>
  connectionEvent(EVENT_DETAIL_TYPES.connected, subject, Date.now(), {
    via: 'callback',
    reconnected: false,
    imported: false,
    scope: 'read',
  });

const publisher = (bus: EventBusPort, retries: RetryQueuePort, metrics = metricsRecorder()) =>
  new DeliveringPublisher({ bus, retries, vault: 'v1', callMs: 500, metrics });

it('publishes a valid event with schemaVersion and vault', async () => {
  const bus = new FakeBus((e) => e.map(() => true));
  const metrics = metricsRecorder();
  await publisher(bus, new FakeQueue(), metrics).publish([connected()], testDeadline());
  expect(bus.put_[0]![0]!.detail).toMatchObject({ schemaVersion: 1, vault: 'v1', userId: 'alice', via: 'callback' });
  expect(metrics.records).toEqual([
    expect.objectContaining({
      metric: 'CONNECTION_EVENT',
      dimensions: { Application: 'crm', EventType: 'Connection Connected', Result: 'published' },
    }),
  ]);
});

it('never sends a detail with a field its schema does not have (a token slipped in): counted lost', async () => {
  const bus = new FakeBus((e) => e.map(() => true));
  const queue = new FakeQueue();
  const metrics = metricsRecorder();
  const bad = connected();
  await publisher(bus, queue, metrics).publish(
    [{ ...bad, detail: { ...bad.detail, accessToken: 'secret-token-value' } as never }],
    testDeadline(),
  );
  expect(bus.put_).toEqual([]);
  expect(queue.messages).toEqual([]);
  expect(metrics.records).toEqual([
    expect.objectContaining({ dimensions: expect.objectContaining({ Result: 'lost' }) }),
  ]);
});

it('queues what the bus refused or could not be asked, and counts lost what the queue did not take', async () => {
  const refusing = new FakeBus((e) => e.map((_, i) => i !== 1));
  const queue = new FakeQueue();
  const metrics = metricsRecorder();
  await publisher(refusing, queue, metrics).publish([connected(), connected(), connected()], testDeadline());
  expect(queue.messages).toHaveLength(1);
  expect(metrics.records.map((m) => m.dimensions.Result).sort()).toEqual(['published', 'published', 'queued']);

  const down = new FakeBus(() => new Error('throttled'));
  const queueDown = new FakeQueue(true);
  const lost = metricsRecorder();
  await publisher(down, queueDown, lost).publish([connected()], testDeadline());
  expect(lost.records.map((m) => m.dimensions.Result)).toEqual(['lost']);
});

it('puts more than 10 events in batches of 10', async () => {
  const bus = new FakeBus((e) => e.map(() => true));
  await publisher(bus, new FakeQueue()).publish(Array.from({ length: 23 }, connected), testDeadline());
  expect(bus.put_.map((b) => b.length)).toEqual([10, 10, 3]);
});

it('drain: re-puts queued events, deletes only the accepted ones, and stops at messages it saw in this run', async () => {
  const queue = new FakeQueue();
  await publisher(new FakeBus(() => new Error('down')), queue).publish([connected(), connected()], testDeadline());
  expect(queue.messages).toHaveLength(2);
  const metrics = metricsRecorder();
  const half = new FakeBus((e) => e.map((_, i) => i === 0));
  expect(await drainEventRetries({ bus: half, retries: queue, callMs: 500, metrics }, testDeadline())).toEqual({
    published: 1,
    failed: 1,
  });
  expect(queue.deleted).toEqual(['r0']);
  expect(half.put_).toHaveLength(1);
  // The refused one stays for the next sweep, with the same eventId.
  const bus = new FakeBus((e) => e.map(() => true));
  expect(await drainEventRetries({ bus, retries: queue, callMs: 500 }, testDeadline())).toEqual({
    published: 1,
    failed: 0,
  });
  expect(bus.put_[0]![0]!.detail.eventId).toBe(queue.messages[1]!.entry!.detail.eventId);
});
