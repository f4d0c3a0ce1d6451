/**
 * The event bus and the retry queue as in-memory ports, for faults a real bus or queue can't be made to produce on
 * demand: a bus that refuses some entries or fails, a queue whose send fails.
 */
import type {
  EventBusPort,
  EventEntry,
  RetryMessage,
  RetryQueuePort,
} from '@token-vault/cdk/functions/core/events/transport';

export class FakeBus implements EventBusPort {
  readonly put_: EventEntry[][] = [];
  constructor(private readonly answer: (entries: readonly EventEntry[]) => boolean[] | Error) {}
  put(entries: readonly EventEntry[]): Promise<boolean[]> {
    this.put_.push([...entries]);
    const a = this.answer(entries);
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  }
}

export class FakeQueue implements RetryQueuePort {
  readonly messages: RetryMessage[] = [];
  readonly deleted: string[] = [];
  constructor(private readonly failSend = false) {}
  send(entries: readonly EventEntry[]): Promise<boolean[]> {
    if (this.failSend) return Promise.reject(new Error('queue down'));
    for (const entry of entries)
      this.messages.push({ id: `m${this.messages.length}`, receipt: `r${this.messages.length}`, entry });
    return Promise.resolve(entries.map(() => true));
  }
  receive(max: number): Promise<RetryMessage[]> {
    return Promise.resolve(this.messages.filter((m) => !this.deleted.includes(m.receipt)).slice(0, max));
  }
  delete(receipts: readonly string[]): Promise<void> {
    this.deleted.push(...receipts);
    return Promise.resolve();
  }
}
