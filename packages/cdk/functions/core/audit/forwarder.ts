/**
 * The audit forwarder's work: a CloudWatch Logs subscription delivers, from each vault function's log group, the
 * lines that match the audit filter (gzip + base64); they go into the audit log group, one stream per day and
 * source function, oldest first. Lines that are not audit records are dropped (the filter already selects them;
 * this keeps the audit group clean if a filter is widened by hand).
 */
import { gunzipSync } from 'node:zlib';
import { AUDIT_FORMAT } from '../../../src/definitions/audit';

/** A subscription delivery after decoding (CloudWatch Logs' documented payload). */
export interface SubscriptionDelivery {
  readonly messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly logGroup: string;
  readonly logEvents: readonly { readonly id: string; readonly timestamp: number; readonly message: string }[];
}

/** What the forwarder puts: one stream's events, oldest first. */
export interface AuditBatch {
  readonly logStreamName: string;
  readonly logEvents: { timestamp: number; message: string }[];
}

/** PutLogEvents limits: at most 10,000 events and 1,048,576 bytes (each event counts 26 bytes more). */
const MAX_EVENTS = 10_000;
const MAX_BYTES = 1_048_576;

export function decodeDelivery(data: string): SubscriptionDelivery {
  return JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as SubscriptionDelivery;
}

/** The audit records of a delivery, as PutLogEvents batches. A control message (the filter's test) has none. */
export function auditBatches(delivery: SubscriptionDelivery): AuditBatch[] {
  if (delivery.messageType !== 'DATA_MESSAGE') return [];
  const source = delivery.logGroup.split('/').filter(Boolean).pop() ?? 'unknown';
  const events = delivery.logEvents
    .filter((event) => isAuditRecord(event.message))
    .sort((a, b) => a.timestamp - b.timestamp);
  const batches: AuditBatch[] = [];
  let current: AuditBatch | undefined;
  let bytes = 0;
  for (const event of events) {
    const day = new Date(event.timestamp).toISOString().slice(0, 10).replace(/-/g, '/');
    const logStreamName = `${day}/${source}`;
    const size = Buffer.byteLength(event.message, 'utf8') + 26;
    if (
      current === undefined ||
      current.logStreamName !== logStreamName ||
      current.logEvents.length >= MAX_EVENTS ||
      bytes + size > MAX_BYTES
    ) {
      current = { logStreamName, logEvents: [] };
      batches.push(current);
      bytes = 0;
    }
    current.logEvents.push({ timestamp: event.timestamp, message: event.message });
    bytes += size;
  }
  return batches;
}

function isAuditRecord(message: string): boolean {
  try {
    const value = JSON.parse(message) as { audit?: unknown };
    return value.audit === AUDIT_FORMAT;
  } catch {
    return false;
  }
}
