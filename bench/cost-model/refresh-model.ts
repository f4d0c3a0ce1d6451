/**
 * The proactive refresh's cost and capacity model: pure functions of the deployed defaults (deployed.ts), the
 * usage assumptions (usage.ts), the prices (prices.ts) and what a refresh measurably costs (calls per refresh and
 * the item's size, from the scale run or the refresh bench). Counts per policy follow design 15 §7; its
 * virtual-clock simulation reproduced them (per used day: 1 on-demand refresh, floor(session / period) + 1
 * proactive refreshes, one fewer use marks, 1 visit of an unused token that only reschedules it).
 */
import type { Deployed, Policy } from './deployed';
import { readUnits, writeUnits } from './item-size';
import { PRICE } from './prices';
import type { Usage } from './usage';

/** Dollars by service. */
export interface Lines {
  readonly lambda: number;
  readonly dynamodb: number;
  readonly kms: number;
  readonly sqs: number;
  readonly eventbridge: number;
}

const ZERO: Lines = { lambda: 0, dynamodb: 0, kms: 0, sqs: 0, eventbridge: 0 };
const SERVICES = Object.keys(ZERO) as Array<keyof Lines>;

export function add(...parts: readonly Lines[]): Lines {
  return Object.fromEntries(SERVICES.map((s) => [s, parts.reduce((sum, p) => sum + p[s], 0)])) as unknown as Lines;
}

export function scale(lines: Lines, factor: number): Lines {
  return Object.fromEntries(SERVICES.map((s) => [s, lines[s] * factor])) as unknown as Lines;
}

export function total(lines: Lines): number {
  return SERVICES.reduce((sum, s) => sum + lines[s], 0);
}

/** What one proactive refresh measurably costs. */
export interface RefreshMeasure {
  /** Where the figures come from (printed). */
  readonly source: string;
  /** DynamoDB calls per refresh, by command name (`GetItem`, `UpdateItem`, ...). */
  readonly dynamo: Readonly<Record<string, number>>;
  /** KMS Decrypt calls per refresh (the data-key cache missed). */
  readonly decryptPerRefresh: number;
  /** DynamoDB size of the connection item. */
  readonly itemBytes: number;
}

const MONTH_MIN = 30 * 24 * 60;

/**
 * Minutes between two proactive refreshes of a connection kept ahead of expiry: the sweep enqueues it once its due
 * time (expiry less the margin, never before half the lifetime) is within the look-ahead, at the next sweep (half
 * an interval later on average), and the worker refreshes it at once.
 */
export function refreshPeriodMin(d: Deployed): number {
  const due = Math.max(d.accessTokenTtlMin / 2, d.accessTokenTtlMin - d.marginMin);
  return Math.max(d.sweepIntervalMin, due - d.lookaheadMin + d.sweepIntervalMin / 2);
}

/** Operations per connection per month under a policy. */
export interface Counts {
  readonly proactive: number;
  readonly onDemand: number;
  /** Visits of an unused token: read, rescheduled to the keep-alive track. */
  readonly unusedVisits: number;
  /** `lastFetchedAt` marks (one per used token). */
  readonly marks: number;
  readonly keepAlive: number;
  /** New data keys (GenerateDataKey), from the reuse bounds. */
  readonly newDataKeys: number;
}

export function counts(policy: Policy, d: Deployed, u: Usage): Counts {
  const period = refreshPeriodMin(d);
  const usedDays = 30 * u.dailyActive;
  const keepAliveEveryDays = Math.max(1, d.refreshTokenTtlDays - d.keepAliveLeadDays);
  const keepAlive = (u.dormant * 30) / keepAliveEveryDays;
  if (policy === 'all') {
    const proactive = MONTH_MIN / period;
    const newDataKeys = Math.max(proactive / d.dataKeyMaxWrites, (30 * 24) / d.dataKeyMaxAgeHours);
    return { proactive, onDemand: 0, unusedVisits: 0, marks: 0, keepAlive: 0, newDataKeys };
  }
  const sessionMin = u.sessionHours * 60;
  if (policy === 'none') {
    const onDemand = usedDays * Math.ceil(sessionMin / d.accessTokenTtlMin);
    const perDay = Math.ceil(onDemand / usedDays / d.dataKeyMaxWrites);
    return { proactive: 0, onDemand, unusedVisits: 0, marks: 0, keepAlive, newDataKeys: usedDays * perDay + keepAlive };
  }
  const tokens = Math.floor(sessionMin / period) + 1;
  // A session's writes (its refreshes) fall within a day, so within one key's age bound.
  const keysPerDay = Math.ceil((tokens + 1) / d.dataKeyMaxWrites);
  return {
    proactive: usedDays * tokens,
    onDemand: usedDays,
    unusedVisits: usedDays,
    marks: usedDays * (tokens - 1),
    keepAlive,
    newDataKeys: usedDays * keysPerDay + keepAlive,
  };
}

/** DynamoDB dollars of one refresh's measured calls, plus the index key move of its commit. */
export function refreshDynamo(m: RefreshMeasure, u: Usage): number {
  const rru = readUnits(m.itemBytes);
  const wru = writeUnits(m.itemBytes);
  let dollars = 2 * writeUnits(u.indexEntryBytes) * PRICE.dynamoWru;
  for (const [command, n] of Object.entries(m.dynamo)) {
    if (/^(GetItem|BatchGetItem)$/.test(command)) dollars += n * rru * PRICE.dynamoRru;
    else if (command === 'TransactGetItems') dollars += n * 2 * rru * PRICE.dynamoRru;
    else if (command === 'Query' || command === 'Scan') dollars += n * 0.5 * PRICE.dynamoRru;
    else if (command === 'TransactWriteItems') dollars += n * 2 * wru * PRICE.dynamoWru;
    else dollars += n * wru * PRICE.dynamoWru;
  }
  return dollars;
}

function dynamoCalls(m: RefreshMeasure): number {
  return Object.values(m.dynamo).reduce((a, b) => a + b, 0);
}

/** Billed ms of one worker invocation: its records run at once, so about one refresh plus each record's CPU. */
export function workerBatchMs(m: RefreshMeasure, d: Deployed, u: Usage): number {
  return Math.ceil(
    u.providerMs + dynamoCalls(m) * u.dynamoMs + m.decryptPerRefresh * u.kmsMs + d.workerBatchSize * u.cpuMsPerRefresh,
  );
}

const lambdaMs = (ms: number, memoryMiB: number): number => (ms / 1000) * (memoryMiB / 1024) * PRICE.lambdaGbSecond;

/** Unit costs of each operation. */
export function unitCosts(m: RefreshMeasure, d: Deployed, u: Usage) {
  const b = d.workerBatchSize;
  // The sweep's send (batches of 10), the event source's receive and delete (batches of b), per message.
  const sqs = (1 / 10 + 2 / b) * PRICE.sqsRequest;
  const sweepRead = 0.5 * (u.indexEntryBytes / 4096) * PRICE.dynamoRru;
  const worker = (lambdaMs(workerBatchMs(m, d, u), d.workerMemoryMiB) + PRICE.lambdaRequest) / b;
  const indexMove = 2 * writeUnits(u.indexEntryBytes) * PRICE.dynamoWru;
  const write = writeUnits(m.itemBytes) * PRICE.dynamoWru;
  const read = readUnits(m.itemBytes) * PRICE.dynamoRru;
  const proactive: Lines = {
    ...ZERO,
    lambda: worker,
    dynamodb: refreshDynamo(m, u) + sweepRead,
    kms: m.decryptPerRefresh * PRICE.kmsRequest,
    sqs,
  };
  const fetchExtraMs = u.providerMs + dynamoCalls(m) * u.dynamoMs + u.kmsMs + u.cpuMsPerRefresh;
  return {
    proactive,
    // In token-fetch: the caller waits; one Decrypt (its container rarely holds a key an hour old).
    onDemand: {
      ...ZERO,
      lambda: lambdaMs(fetchExtraMs, d.fetchMemoryMiB),
      dynamodb: refreshDynamo(m, u),
      kms: PRICE.kmsRequest,
    },
    unusedVisit: {
      ...ZERO,
      // A batch of such visits lasts a read and a write plus each record's CPU.
      lambda: (lambdaMs(2 * u.dynamoMs + b * u.cpuMsPerRefresh, d.workerMemoryMiB) + PRICE.lambdaRequest) / b,
      dynamodb: read + write + indexMove + sweepRead,
      sqs,
    },
    mark: { ...ZERO, lambda: lambdaMs(u.dynamoMs, d.fetchMemoryMiB), dynamodb: write + indexMove },
    newDataKey: { ...ZERO, kms: PRICE.kmsRequest },
  } satisfies Record<string, Lines>;
}

/** Per connection per month, by service. */
export function perConnection(policy: Policy, m: RefreshMeasure, d: Deployed, u: Usage): Lines {
  const c = counts(policy, d, u);
  const unit = unitCosts(m, d, u);
  return add(
    scale(unit.proactive, c.proactive + c.keepAlive),
    scale(unit.onDemand, c.onDemand),
    scale(unit.unusedVisit, c.unusedVisits),
    scale(unit.mark, c.marks),
    scale(unit.newDataKey, c.newDataKeys),
  );
}

/** Per month whatever the number of connections: the schedule, the sweeps' minimum reads, idle polling. */
export function fixedMonthly(d: Deployed, u: Usage): Lines {
  const sweeps = MONTH_MIN / d.sweepIntervalMin;
  return {
    ...ZERO,
    lambda: sweeps * (PRICE.lambdaRequest + lambdaMs(u.sweepMs, d.sweepMemoryMiB)),
    dynamodb: sweeps * d.dueShards * 0.5 * PRICE.dynamoRru,
    sqs: u.idlePollers * u.idlePollsPerMinute * MONTH_MIN * PRICE.sqsRequest,
    eventbridge: sweeps * PRICE.eventBridgeInvocation,
  };
}

/** The refresh line for `connections` per month, by service. */
export function refreshMonthly(policy: Policy, connections: number, m: RefreshMeasure, d: Deployed, u: Usage): Lines {
  return add(scale(perConnection(policy, m, d, u), connections), fixedMonthly(d, u));
}

/** Proactive refreshes per second needed: every connection (`all`), or every daily-active one at once (`used`). */
export function neededPerSecond(policy: Policy, connections: number, d: Deployed, u: Usage): number {
  const periodS = refreshPeriodMin(d) * 60;
  if (policy === 'all') return connections / periodS;
  if (policy === 'used') return (connections * u.dailyActive) / periodS;
  return 0;
}

/** Proactive refreshes per second the worker fleet sustains at `maxConcurrency` invocations of full batches. */
export function availablePerSecond(maxConcurrency: number, m: RefreshMeasure, d: Deployed, u: Usage): number {
  return (maxConcurrency * d.workerBatchSize) / (workerBatchMs(m, d, u) / 1000);
}

/** The smallest MaximumConcurrency that sustains `perSecond`. */
export function concurrencyFor(perSecond: number, m: RefreshMeasure, d: Deployed, u: Usage): number {
  return Math.max(2, Math.ceil((perSecond * workerBatchMs(m, d, u)) / 1000 / d.workerBatchSize));
}
