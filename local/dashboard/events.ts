/**
 * `GET /events`: the lifecycle events the local stack's functions put on the emulator's bus. The provisioned tap
 * rule (`source: token-vault`) delivers each to an SQS queue; this feed drains it when asked (short polls only: a
 * long poll would hold the serialised emulator, and every AWS call of the stack behind it) and keeps the newest
 * 1,000 in memory.
 *
 * Answer: `{ "events": [{ id, time, detailType, detail }] }`, oldest first (newest last), at most `?limit=`
 * (1-1000, default 100: the newest), filtered by `?userId=` and `?type=` (a detail-type). Only the envelope's
 * fields; the details carry no token material (their schemas allow none).
 */
import type { ServerResponse } from 'node:http';
import { sendNoStore } from '../http/respond';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const EVENTS_PATH = '/events';
const KEPT = 1000;

export interface LocalEvent {
  readonly id: string;
  readonly time: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

export class EventFeed {
  private readonly events: LocalEvent[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Receives what the tap holds (one drain at a time), then the kept events. */
  async list(): Promise<readonly LocalEvent[]> {
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    await this.draining;
    return this.events;
  }

  private async drain(): Promise<void> {
    for (let batch = 0; batch < 100; batch++) {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return;
      const received: LocalEvent[] = [];
      for (const m of messages) {
        try {
          const e = JSON.parse(m.Body ?? '') as {
            id?: unknown;
            time?: unknown;
            'detail-type'?: unknown;
            detail?: unknown;
          };
          if (typeof e.detail === 'object' && e.detail !== null) {
            received.push({
              id: String(e.id),
              time: String(e.time),
              detailType: String(e['detail-type']),
              detail: e.detail as Record<string, unknown>,
            });
          }
        } catch {
          // Not an event envelope: dropped.
        }
      }
      // Within one receive, in the order the changes were committed.
      received.sort((a, b) => String(a.detail.time).localeCompare(String(b.detail.time)));
      this.events.push(...received);
      if (this.events.length > KEPT) this.events.splice(0, this.events.length - KEPT);
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }
}

export async function serveEvents(feed: EventFeed, params: URLSearchParams, res: ServerResponse): Promise<void> {
  const limitRaw = params.get('limit');
  const limit = limitRaw !== null && /^\d{1,4}$/.test(limitRaw) ? Math.min(KEPT, Math.max(1, Number(limitRaw))) : 100;
  const userId = params.get('userId');
  const type = params.get('type');
  let body: string;
  let status = 200;
  try {
    const events = (await feed.list()).filter(
      (e) => (userId === null || e.detail.userId === userId) && (type === null || e.detailType === type),
    );
    body = JSON.stringify({ events: events.slice(-limit) });
  } catch (error) {
    status = 503;
    body = JSON.stringify({
      error: `the event tap could not be read (${error instanceof Error ? error.name : 'Error'})`,
    });
  }
  sendNoStore(res, status, 'application/json', body);
}
