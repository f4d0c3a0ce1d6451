/**
 * Reads the CloudWatch Embedded Metric Format records the handlers write to stdout (Powertools Metrics writes one
 * JSON line per record through a Console on process.stdout) and feeds them to a {@link MetricStore}. The tap wraps
 * `stream.write`: every chunk is passed on unchanged, with the same arguments, whatever it contains; a copy of
 * the text is split into lines, and complete lines containing `"_aws"` are parsed.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import type { MetricStore } from './metric-store';

/** The part of a writable stream the tap needs. */
export interface WritableLike {
  write: (...args: never[]) => boolean;
}

/** An installed tap. */
export interface EmfTap {
  /** EMF records parsed so far. */
  readonly records: () => number;
  /** Stops parsing; restores the stream's previous `write` when nothing wrapped it since. Safe to call twice. */
  uninstall(): void;
}

/** A partial line longer than this is not an EMF record worth waiting for: it is dropped (the write still passes). */
const MAX_PENDING_CHARS = 1024 * 1024;

/** One metric datapoint found in an EMF record. */
export interface EmfDatapoint {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly values: number[];
  readonly timestamp: number | undefined;
}

interface EmfDirective {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

/**
 * The datapoints of one EMF line: for each directive in `_aws.CloudWatchMetrics`, each metric, and each dimension
 * set, the metric's value(s) with the dimension values read from the record's top level. Empty for anything that
 * is not a well-formed EMF record (a metric without a numeric value, a dimension without a string value).
 */
export function parseEmfLine(line: string): EmfDatapoint[] {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return [];
  }
  if (!isObject(record) || !isObject(record._aws)) return [];
  const directives = record._aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) return [];
  const timestamp =
    typeof record._aws.Timestamp === 'number' && Number.isFinite(record._aws.Timestamp)
      ? record._aws.Timestamp
      : undefined;
  const points: EmfDatapoint[] = [];
  for (const directive of directives as EmfDirective[]) {
    if (!isObject(directive) || typeof directive.Namespace !== 'string') continue;
    const metrics = Array.isArray(directive.Metrics) ? (directive.Metrics as unknown[]) : [];
    // No dimension sets: the metric is published without dimensions.
    const dimensionSets =
      Array.isArray(directive.Dimensions) && directive.Dimensions.length > 0
        ? (directive.Dimensions as unknown[])
        : [[]];
    for (const metric of metrics) {
      if (!isObject(metric) || typeof metric.Name !== 'string') continue;
      const raw = record[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (v): v is number => typeof v === 'number' && Number.isFinite(v),
      );
      if (values.length === 0) continue;
      for (const set of dimensionSets) {
        if (!Array.isArray(set)) continue;
        const dimensions: Record<string, string> = {};
        let complete = true;
        for (const name of set as unknown[]) {
          const value = typeof name === 'string' ? record[name] : undefined;
          if (typeof name !== 'string' || typeof value !== 'string') {
            complete = false;
            break;
          }
          dimensions[name] = value;
        }
        if (complete) points.push({ namespace: directive.Namespace, name: metric.Name, dimensions, values, timestamp });
      }
    }
  }
  return points;
}

/** Feeds one EMF line to the store; returns whether it held any datapoint. */
export function ingestEmfLine(store: MetricStore, line: string): boolean {
  const points = parseEmfLine(line);
  for (const point of points) {
    store.record(
      { namespace: point.namespace, name: point.name, dimensions: point.dimensions },
      point.values,
      point.timestamp,
    );
  }
  return points.length > 0;
}

/**
 * Wraps `stream.write` (default process.stdout) so that EMF lines written through it reach `store`. Everything
 * written is passed to the previous `write` unchanged; a failure while parsing never affects the write.
 */
export function installEmfTap(store: MetricStore, stream: WritableLike = process.stdout): EmfTap {
  type Write = (...args: unknown[]) => boolean;
  const previous = stream.write as unknown as Write;
  let active = true;
  let pending = '';
  let records = 0;

  const consume = (chunk: unknown): void => {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else if (chunk instanceof Uint8Array)
      text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    else return;
    // Fast path: a chunk of whole lines with no EMF record, and nothing pending.
    if (pending === '' && !text.includes('"_aws"') && text.endsWith('\n')) return;
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    if (pending.length > MAX_PENDING_CHARS) pending = '';
    for (const line of lines) {
      if (line.includes('"_aws"') && ingestEmfLine(store, line)) records += 1;
    }
  };

  const tapped = function (this: unknown, ...args: unknown[]): boolean {
    if (active) {
      try {
        consume(args[0]);
      } catch {
        // Never let the dashboard break the output.
      }
    }
    return previous.apply(this, args);
  };
  stream.write = tapped;

  return {
    records: () => records,
    uninstall: () => {
      if (!active) return;
      active = false;
      pending = '';
      if ((stream.write as unknown) === tapped) stream.write = previous;
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
