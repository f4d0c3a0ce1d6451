/**
 * The local stack's stand-in for CloudWatch metrics: an in-memory store fed by the Embedded Metric Format lines
 * the handlers write (see ./emf-tap) and by the local stack's own per-function counters (./invocations),
 * aggregated per (namespace, metric name, dimension set) into fixed buckets. Memory is bounded: buckets older
 * than the retention are dropped, each bucket keeps at most a fixed number of samples for percentiles
 * (reservoir sampling), and the number of distinct series is capped.
 */
import type { Statistic } from '@token-vault/cdk/src/monitoring';

/** Dimension name -> value of one series. */
export type DimensionValues = Readonly<Record<string, string>>;

/** Options of {@link MetricStore}. */
export interface MetricStoreOptions {
  /** @default 10 */
  readonly bucketSeconds?: number;
  /** @default 3600 (one hour) */
  readonly retentionSeconds?: number;
  /** Samples kept per bucket for percentiles; beyond, a uniform reservoir of this size. @default 1000 */
  readonly maxSamplesPerBucket?: number;
  /** Distinct (namespace, name, dimensions) series kept; datapoints of further series are dropped. @default 2000 */
  readonly maxSeries?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default Math.random (reservoir sampling) */
  readonly random?: () => number;
}

/** Identifies one series. */
export interface SeriesKey {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: DimensionValues;
}

/** Aggregate of the values that fell into one bucket (or several buckets or series merged). */
export interface Aggregate {
  sum: number;
  count: number;
  min: number;
  max: number;
  /** Every value while `count <= maxSamples`; a uniform sample of them beyond. */
  samples: number[];
}

/** A query: one metric, with some dimensions fixed (the others may take any value). */
export interface MetricQuery {
  readonly namespace: string;
  readonly name: string;
  /** Dimension values the series must have. */
  readonly where?: DimensionValues;
  /** Dimension names the series must carry (all of them, and no others); omitted: any set. */
  readonly dimensionNames?: readonly string[];
}

interface StoredSeries {
  readonly key: SeriesKey;
  /** Bucket start (ms) -> aggregate. */
  readonly buckets: Map<number, Aggregate>;
}

/** Statistics of {@link Statistic} over an aggregate; undefined when it holds no value. */
export function statisticOf(aggregate: Aggregate | undefined, stat: Statistic): number | undefined {
  if (!aggregate || aggregate.count === 0) return undefined;
  switch (stat) {
    case 'Sum':
      return aggregate.sum;
    case 'SampleCount':
      return aggregate.count;
    case 'Maximum':
      return aggregate.max;
    case 'Average':
      return aggregate.sum / aggregate.count;
    case 'p50':
      return percentile(aggregate.samples, 50);
    case 'p99':
      return percentile(aggregate.samples, 99);
  }
}

/** Nearest-rank percentile (as CloudWatch reports for small sample sets). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** Canonical text of a series key (dimension names sorted). */
export function seriesId(key: SeriesKey): string {
  const dims = Object.keys(key.dimensions)
    .sort()
    .map((name) => [name, key.dimensions[name]]);
  return JSON.stringify([key.namespace, key.name, dims]);
}

export class MetricStore {
  readonly bucketMs: number;
  readonly retentionMs: number;
  private readonly maxSamples: number;
  private readonly maxSeries: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly series = new Map<string, StoredSeries>();
  /** Datapoints refused: too old, in the future, not finite, or over the series cap. */
  private droppedCount = 0;
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(options: MetricStoreOptions = {}) {
    this.bucketMs = (options.bucketSeconds ?? 10) * 1000;
    this.retentionMs = (options.retentionSeconds ?? 3600) * 1000;
    this.maxSamples = options.maxSamplesPerBucket ?? 1000;
    this.maxSeries = options.maxSeries ?? 2000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    if (!(this.bucketMs > 0) || !(this.retentionMs >= this.bucketMs))
      throw new RangeError('bucketSeconds > 0 and retentionSeconds >= bucketSeconds');
  }

  /** Start (ms) of the bucket holding `timestamp`. */
  bucketOf(timestamp: number): number {
    return Math.floor(timestamp / this.bucketMs) * this.bucketMs;
  }

  /** Datapoints refused so far (see {@link record}). */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Number of distinct series held. */
  get size(): number {
    return this.series.size;
  }

  /**
   * Records values of one series at `timestamp` (default now). Values outside the retention window, more than a
   * bucket in the future, or not finite are dropped, as are values of a new series once the cap is reached.
   */
  record(key: SeriesKey, values: number | readonly number[], timestamp: number = this.now()): void {
    const now = this.now();
    this.prune(now);
    const list = typeof values === 'number' ? [values] : values;
    const bucket = this.bucketOf(timestamp);
    if (
      !Number.isFinite(timestamp) ||
      bucket <= this.bucketOf(now) - this.retentionMs ||
      bucket > now + this.bucketMs
    ) {
      this.droppedCount += list.length;
      return;
    }
    const id = seriesId(key);
    let stored = this.series.get(id);
    if (!stored) {
      if (this.series.size >= this.maxSeries) {
        this.droppedCount += list.length;
        return;
      }
      stored = {
        key: { namespace: key.namespace, name: key.name, dimensions: { ...key.dimensions } },
        buckets: new Map(),
      };
      this.series.set(id, stored);
    }
    let aggregate = stored.buckets.get(bucket);
    for (const value of list) {
      if (!Number.isFinite(value)) {
        this.droppedCount += 1;
        continue;
      }
      if (!aggregate) {
        aggregate = { sum: 0, count: 0, min: value, max: value, samples: [] };
        stored.buckets.set(bucket, aggregate);
      }
      this.add(aggregate, value);
    }
  }

  /** Series matching a query, in first-seen order. */
  find(query: MetricQuery): SeriesKey[] {
    this.prune(this.now());
    const names = query.dimensionNames ? [...query.dimensionNames].sort().join('\u0000') : undefined;
    const found: SeriesKey[] = [];
    for (const { key, buckets } of this.series.values()) {
      if (buckets.size === 0) continue;
      if (key.namespace !== query.namespace || key.name !== query.name) continue;
      if (names !== undefined && Object.keys(key.dimensions).sort().join('\u0000') !== names) continue;
      if (query.where && !Object.entries(query.where).every(([name, value]) => key.dimensions[name] === value))
        continue;
      found.push(key);
    }
    return found;
  }

  /**
   * One value per bucket from `from` up to and including the bucket holding `to`, of the given series merged
   * (their values pooled, then the statistic taken). Buckets without a value are `null`, or 0 with `fillZero`.
   */
  values(
    keys: readonly SeriesKey[],
    stat: Statistic,
    from: number,
    to: number,
    options: { fillZero?: boolean } = {},
  ): Array<number | null> {
    this.prune(this.now());
    const stored = keys.map((key) => this.series.get(seriesId(key))).filter((s): s is StoredSeries => s !== undefined);
    const out: Array<number | null> = [];
    for (let bucket = this.bucketOf(from); bucket <= this.bucketOf(to); bucket += this.bucketMs) {
      const merged = this.merge(stored.map((s) => s.buckets.get(bucket)));
      const value = statisticOf(merged, stat);
      out.push(value ?? (options.fillZero ? 0 : null));
    }
    return out;
  }

  /** Earliest bucket start holding any value, or undefined when the store is empty. */
  earliest(): number | undefined {
    this.prune(this.now());
    let first: number | undefined;
    for (const { buckets } of this.series.values()) {
      for (const bucket of buckets.keys()) if (first === undefined || bucket < first) first = bucket;
    }
    return first;
  }

  /** Forgets everything. */
  clear(): void {
    this.series.clear();
    this.droppedCount = 0;
  }

  private merge(aggregates: ReadonlyArray<Aggregate | undefined>): Aggregate | undefined {
    const present = aggregates.filter((a): a is Aggregate => a !== undefined && a.count > 0);
    if (present.length === 0) return undefined;
    if (present.length === 1) return present[0];
    const merged: Aggregate = { sum: 0, count: 0, min: Infinity, max: -Infinity, samples: [] };
    for (const a of present) {
      merged.sum += a.sum;
      merged.count += a.count;
      merged.min = Math.min(merged.min, a.min);
      merged.max = Math.max(merged.max, a.max);
      merged.samples.push(...a.samples);
    }
    return merged;
  }

  private add(aggregate: Aggregate, value: number): void {
    aggregate.sum += value;
    aggregate.count += 1;
    aggregate.min = Math.min(aggregate.min, value);
    aggregate.max = Math.max(aggregate.max, value);
    if (aggregate.samples.length < this.maxSamples) {
      aggregate.samples.push(value);
    } else {
      // Algorithm R: every value seen so far stays in the reservoir with the same probability.
      const slot = Math.floor(this.random() * aggregate.count);
      if (slot < this.maxSamples) aggregate.samples[slot] = value;
    }
  }

  /** Drops buckets past the retention (at most once per bucket period) and series left empty. */
  private prune(now: number): void {
    const cutoff = this.bucketOf(now) - this.retentionMs;
    if (cutoff <= this.lastPrune) return;
    this.lastPrune = cutoff;
    for (const [id, stored] of this.series) {
      for (const bucket of stored.buckets.keys()) if (bucket <= cutoff) stored.buckets.delete(bucket);
      if (stored.buckets.size === 0) this.series.delete(id);
    }
  }
}
