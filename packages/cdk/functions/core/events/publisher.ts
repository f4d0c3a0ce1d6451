/**
 * Publishing connection lifecycle events. The core decides an event where its conditional write committed the
 * change (so one change makes at most one decision) and hands it to an {@link EventPublisher} after that write;
 * nothing that only reads (serving, waiting, joining a refresh) ever publishes, so a storm of fetches makes no
 * storm of events.
 *
 * {@link DeliveringPublisher} puts the events on the bus; entries the bus refuses, and every entry of a put that
 * failed or ran out of time, go to the retry queue (drained by the sweep: drain-retries.ts). What neither takes is
 * counted `lost`. It never throws: an event is never worth failing the caller's answer for.
 */
import { randomUUID } from 'node:crypto';
import { EVENT_SCHEMA_VERSION, parseEventDetail, type EventDetails, type EventDetailType } from '../../contract/events';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { Deadline } from '../time/deadline';
import type { EventBusPort, EventEntry, RetryQueuePort } from './transport';

/** What the core fills in; the publisher adds `schemaVersion` and `vault`. */
export type EventFields<K extends EventDetailType> = Omit<EventDetails[K], 'schemaVersion' | 'vault'>;

export interface ConnectionEvent<K extends EventDetailType = EventDetailType> {
  readonly type: K;
  readonly detail: EventFields<K>;
}

export interface EventPublisher {
  /** Published, queued for a retry, or lost (counted and logged). Never throws. */
  publish(events: readonly ConnectionEvent[], deadline: Deadline): Promise<void>;
}

/** For functions and tests that publish nothing. */
export const NO_EVENTS: EventPublisher = { publish: () => Promise.resolve() };

/** Keeps what it is given (tests, the simulation). */
export class RecordingPublisher implements EventPublisher {
  readonly events: ConnectionEvent[] = [];
  publish(events: readonly ConnectionEvent[]): Promise<void> {
    this.events.push(...events);
    return Promise.resolve();
  }
}

/** Where the change happened: the connection and when its write committed. */
export interface EventSubject {
  readonly userId: string;
  readonly applicationId: string;
  readonly connectionId: string | null;
}

/** An event of `type` about `subject`, committed at `time` (epoch ms), with a new event id. */
export function connectionEvent<K extends EventDetailType>(
  type: K,
  subject: EventSubject,
  time: number,
  fields: Omit<
    EventDetails[K],
    'schemaVersion' | 'vault' | 'eventId' | 'userId' | 'applicationId' | 'connectionId' | 'time'
  >,
): ConnectionEvent<K> {
  const detail = {
    eventId: randomUUID(),
    userId: subject.userId,
    applicationId: subject.applicationId,
    connectionId: subject.connectionId,
    time: new Date(time).toISOString(),
    ...fields,
  } as unknown as EventFields<K>;
  return { type, detail };
}

/** The bus takes at most 10 entries per put. */
export const EVENT_BATCH = 10;

/** Where the publisher delivers events, and where a failed put goes. */
export interface DeliveringPublisherOptions {
  /** The event bus. */
  readonly bus: EventBusPort;
  /** The retry queue a failed put's entries go to. */
  readonly retries: RetryQueuePort;
  /** The vault's name, in every detail (several vaults may share one bus). */
  readonly vault: string;
  /** Budget of one AWS call. */
  readonly callMs: number;
  /**
   * Where counts and latencies go.
   * @default - nothing is recorded
   */
  readonly metrics?: VaultMetrics;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
}

export class DeliveringPublisher implements EventPublisher {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;

  constructor(private readonly o: DeliveringPublisherOptions) {
    this.metrics = o.metrics ?? NO_METRICS;
    this.logger = o.logger ?? NO_LOGS;
  }

  async publish(events: readonly ConnectionEvent[], deadline: Deadline): Promise<void> {
    const entries: EventEntry[] = [];
    for (const event of events) {
      const detail = parseEventDetail(event.type, {
        schemaVersion: EVENT_SCHEMA_VERSION,
        vault: this.o.vault,
        ...event.detail,
      });
      // Only the type and the subject are logged: a detail that fails its schema may hold anything.
      if (detail === undefined) this.lost(event, 'The event does not match its schema; not published.');
      else entries.push({ type: event.type, detail });
    }
    for (let i = 0; i < entries.length; i += EVENT_BATCH)
      await this.deliver(entries.slice(i, i + EVENT_BATCH), deadline);
  }

  private async deliver(batch: EventEntry[], deadline: Deadline): Promise<void> {
    let accepted: boolean[] = batch.map(() => false);
    // The put leaves one call's time for the fallback to the retry queue.
    const putMs = Math.min(this.o.callMs, deadline.remaining() - this.o.callMs);
    if (putMs > 0) {
      try {
        accepted = await this.o.bus.put(batch, deadline.within(putMs));
      } catch (error) {
        this.logger.warn('Putting connection events failed; they go to the retry queue.', {
          count: batch.length,
          ...describeError(error),
        });
      }
    }
    const refused = batch.filter((_, i) => !accepted[i]);
    for (const [i, entry] of batch.entries()) if (accepted[i]) this.count(entry, 'published');
    if (refused.length === 0) return;
    let queued: boolean[] = refused.map(() => false);
    if (deadline.remaining() > 0) {
      try {
        queued = await this.o.retries.send(refused, deadline.within(this.o.callMs));
      } catch (error) {
        this.logger.error('Connection events could not be queued for a retry.', {
          count: refused.length,
          ...describeError(error),
        });
      }
    }
    for (const [i, entry] of refused.entries()) {
      if (queued[i]) this.count(entry, 'queued');
      else this.lost(entry, 'A connection event was lost: neither the bus nor the retry queue took it.');
    }
  }

  private count(
    entry: { type: EventDetailType; detail: { applicationId?: unknown } },
    result: 'published' | 'queued' | 'lost',
  ): void {
    this.metrics.count('CONNECTION_EVENT', {
      Application: String(entry.detail.applicationId),
      EventType: entry.type,
      Result: result,
    });
  }

  private lost(
    entry: { type: EventDetailType; detail: { eventId?: unknown; userId?: unknown; applicationId?: unknown } },
    message: string,
  ): void {
    this.count(entry, 'lost');
    this.logger.error(message, {
      eventType: entry.type,
      eventId: entry.detail.eventId,
      userId: entry.detail.userId,
      applicationId: entry.detail.applicationId,
    });
  }
}
