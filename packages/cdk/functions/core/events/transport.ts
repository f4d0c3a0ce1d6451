/**
 * The two things events travel through, as interfaces: the bus (EventBridge) and the retry queue (SQS). The
 * runtime implements them with the AWS SDK (runtime/event-transport.ts); tests plug in fakes for faults a real
 * peer can't produce.
 */
import type { EventDetailType } from '../../contract/events';
import type { Deadline } from '../time/deadline';

/** One event, its detail complete and checked against its schema. */
export interface EventEntry {
  readonly type: EventDetailType;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface EventBusPort {
  /** Puts up to 10 entries; per entry, whether the bus accepted it. Throws when the whole call failed. */
  put(entries: readonly EventEntry[], deadline: Deadline): Promise<boolean[]>;
}

/** A message of the retry queue; `entry` is undefined when its body is not an event (it then goes to the DLQ). */
export interface RetryMessage {
  readonly id: string;
  readonly receipt: string;
  readonly entry: EventEntry | undefined;
}

export interface RetryQueuePort {
  /** Queues up to 10 entries; per entry, whether the queue took it. */
  send(entries: readonly EventEntry[], deadline: Deadline): Promise<boolean[]>;
  /** Up to `max` (≤ 10) messages, without waiting: a long poll would hold the sweep (and the local emulator). */
  receive(max: number, deadline: Deadline): Promise<RetryMessage[]>;
  delete(receipts: readonly string[], deadline: Deadline): Promise<void>;
}
