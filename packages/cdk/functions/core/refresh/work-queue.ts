/**
 * The messages of the refresh work queue and the port the sweep sends them through. A message names one item of
 * the `refresh-due` index (a connection, or a pending provider revocation); it carries no token and no state the
 * worker trusts: the worker reads the item and decides again, so a stale or duplicated message is harmless.
 */
import type { Deadline } from '../time/deadline';
import type { DueItem } from '../store/types';
import { PendingRevocations } from '../store/pending-revocations';

/** Refresh a connection when due, or retry a pending provider revocation. */
export type WorkMessage =
  | { readonly kind: 'refresh'; readonly userId: string; readonly applicationId: string; readonly dueAt: number }
  | { readonly kind: 'revocation'; readonly userId: string; readonly itemKey: string; readonly dueAt: number };

/** The queue as the sweep uses it (SQS in Lambda; the same queue in the emulator locally). */
export interface WorkQueue {
  /** Sends up to 10 messages; answers the indexes of the entries that were not accepted. */
  sendBatch(messages: readonly WorkMessage[], deadline: Deadline): Promise<number[]>;
  /** Messages waiting (SQS's approximate count): the sweep's back-pressure. */
  depth(deadline: Deadline): Promise<number>;
}

/** The message for a due index item. */
export function workMessage(item: DueItem): WorkMessage {
  return PendingRevocations.isPendingKey(item.applicationId)
    ? { kind: 'revocation', userId: item.userId, itemKey: item.applicationId, dueAt: item.dueAt }
    : { kind: 'refresh', userId: item.userId, applicationId: item.applicationId, dueAt: item.dueAt };
}

/** Wire form, versioned and short (SQS bills by 64 KB chunks, but a short body is cheap to log by length only). */
export function encodeWorkMessage(message: WorkMessage): string {
  return message.kind === 'refresh'
    ? JSON.stringify({ v: 1, k: 'r', u: message.userId, a: message.applicationId, d: message.dueAt })
    : JSON.stringify({ v: 1, k: 'v', u: message.userId, i: message.itemKey, d: message.dueAt });
}

const MAX_ID_LENGTH = 1024;
const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;

/** The message in a body, or undefined when the body is not one (the worker never guesses). */
export function decodeWorkMessage(body: string): WorkMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (m.v !== 1 || !isId(m.u) || typeof m.d !== 'number' || !Number.isFinite(m.d)) return undefined;
  if (m.k === 'r' && isId(m.a) && !PendingRevocations.isPendingKey(m.a))
    return { kind: 'refresh', userId: m.u, applicationId: m.a, dueAt: m.d };
  if (m.k === 'v' && isId(m.i) && PendingRevocations.isPendingKey(m.i))
    return { kind: 'revocation', userId: m.u, itemKey: m.i, dueAt: m.d };
  return undefined;
}

/** The key the sweep's memo and the logs use for a message. */
export function workKey(message: WorkMessage): string {
  return `${message.userId}\u0000${message.kind === 'refresh' ? message.applicationId : message.itemKey}`;
}
