/**
 * The event bus and the retry queue over the AWS SDK (core/events/transport.ts). Every call takes the invocation's
 * deadline as its abort signal.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE, type EventDetailType } from '../contract/events';
import type { EventBusPort, EventEntry, RetryMessage, RetryQueuePort } from '../core/events/transport';
import type { Deadline } from '../core/time/deadline';

const DETAIL_TYPES = new Set<string>(Object.values(EVENT_DETAIL_TYPES));

export class EventBridgeBus implements EventBusPort {
  constructor(
    private readonly client: EventBridgeClient,
    /** ARN (a bus of another account works) or name. */
    private readonly busName: string,
  ) {}

  async put(entries: readonly EventEntry[], deadline: Deadline): Promise<boolean[]> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: entries.map((e) => ({
          Source: EVENT_SOURCE,
          DetailType: e.type,
          Detail: JSON.stringify(e.detail),
          EventBusName: this.busName,
          Time: new Date(String(e.detail.time)),
        })),
      }),
      { abortSignal: deadline.signal() },
    );
    // Entries answer in request order; one with an ErrorCode was not accepted.
    return entries.map(
      (_, i) =>
        out.Entries?.[i] !== undefined &&
        out.Entries[i].ErrorCode === undefined &&
        out.Entries[i].EventId !== undefined,
    );
  }
}

export class SqsRetryQueue implements RetryQueuePort {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(entries: readonly EventEntry[], deadline: Deadline): Promise<boolean[]> {
    const out = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: entries.map((e, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify({ type: e.type, detail: e.detail }),
        })),
      }),
      { abortSignal: deadline.signal() },
    );
    const ok = new Set((out.Successful ?? []).map((s) => s.Id));
    return entries.map((_, i) => ok.has(String(i)));
  }

  async receive(max: number, deadline: Deadline): Promise<RetryMessage[]> {
    const out = await this.client.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: 0 }),
      { abortSignal: deadline.signal() },
    );
    return (out.Messages ?? []).flatMap((m) =>
      m.MessageId && m.ReceiptHandle ? [{ id: m.MessageId, receipt: m.ReceiptHandle, entry: parseBody(m.Body) }] : [],
    );
  }

  async delete(receipts: readonly string[], deadline: Deadline): Promise<void> {
    if (receipts.length === 0) return;
    await this.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: receipts.map((r, i) => ({ Id: String(i), ReceiptHandle: r })),
      }),
      { abortSignal: deadline.signal() },
    );
  }
}

function parseBody(body: string | undefined): EventEntry | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { type?: unknown; detail?: unknown };
    if (
      typeof parsed.type !== 'string' ||
      !DETAIL_TYPES.has(parsed.type) ||
      typeof parsed.detail !== 'object' ||
      parsed.detail === null
    )
      return undefined;
    return { type: parsed.type as EventDetailType, detail: parsed.detail as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
