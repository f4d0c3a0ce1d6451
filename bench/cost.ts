/**
 * Cost model, the caller's side: dollars per million token-fetches, at AWS list prices (bench/cost-model/prices.ts),
 * from the calls per fetch and the handler time measured in this run (bench/warm-fetch.ts), with and without the
 * caches, and the monthly lines that do not depend on the refresh policy (token-fetch, fixed, connect, storage).
 * The refresh line and the totals per 10,000 users are bench/capacity.ts's. Every assumption is printed.
 */
import { METRICS } from '@token-vault/cdk/src/definitions/metrics';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { LAMBDA_MB_PER_VCPU, PRICE } from './cost-model/prices';
import { percentile, type Section } from './report';
import type { BenchStack } from './stack';
import { warmFetchStats, type WarmSide } from './warm-fetch';

const MEMORY_GB = FUNCTIONS.tokenFetch.memoryMiB / 1024;
/** Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB. */
const CPU_SCALE = LAMBDA_MB_PER_VCPU / FUNCTIONS.tokenFetch.memoryMiB;
/** In-region latency of one call, added to the billed duration (the local emulator's is not AWS's). */
const LATENCY_MS = { DynamoDB: 4, KMS: 6, SecretsManager: 15 } as const;
const USERS = 10_000;
const FETCHES_PER_USER_MONTH = 1000;
/** Connected-users item, sealed tokens included; reads up to 4 KB are 1 RRU, writes are 1 WRU per KB. */
const ITEM_KB = 2;
/** Each user connects again (connect + callback through the HTTP API) about once a year. */
const CALLBACKS_PER_USER_MONTH = 1 / 12;
/** Metric x dimension combinations: one application, about two values for every other dimension. */
const METRIC_SERIES = Object.values(METRICS).reduce((sum, m) => sum + 2 ** Math.max(0, m.dimensions.length - 1), 0);

/** Request units of one call, by command: consistent reads of an item up to 4 KB, writes of ITEM_KB. */
function dynamoUnits(calls: Record<string, number>): { rru: number; wru: number } {
  let rru = 0;
  let wru = 0;
  for (const [name, n] of Object.entries(calls)) {
    if (/DynamoDB\.(GetItem|Query|Scan)/.test(name)) rru += n * Math.ceil(ITEM_KB / 4);
    else if (/DynamoDB\.TransactGetItems/.test(name)) rru += 2 * n * Math.ceil(ITEM_KB / 4);
    else if (/DynamoDB\.TransactWriteItems/.test(name)) wru += 2 * n * ITEM_KB;
    else if (name.startsWith('DynamoDB.')) wru += n * ITEM_KB;
  }
  return { rru, wru };
}

function perCall(calls: Record<string, number>, count: number): Record<string, number> {
  return Object.fromEntries(Object.entries(calls).map(([name, n]) => [name, n / count]));
}

function awsDollars(calls: Record<string, number>): number {
  const { rru, wru } = dynamoUnits(calls);
  const sum = (prefix: string) =>
    Object.entries(calls).reduce((s, [name, n]) => (name.startsWith(prefix) ? s + n : s), 0);
  return (
    rru * PRICE.dynamoRru +
    wru * PRICE.dynamoWru +
    sum('KMS.') * PRICE.kmsRequest +
    sum('SecretsManager.') * PRICE.secretsRequest
  );
}

function latency(calls: Record<string, number>): number {
  return Object.entries(calls).reduce(
    (s, [name, n]) => s + n * (LATENCY_MS[name.split('.')[0] as keyof typeof LATENCY_MS] ?? 0),
    0,
  );
}

/** Billed ms of one token-fetch: its CPU (measured, scaled to 256 MB's CPU share) + in-region call latency, rounded up. */
function fetchBilledMs(side: WarmSide): number {
  return Math.ceil(percentile(side.exclHttpMs, 50) * CPU_SCALE + latency(perCall(side.calls, side.fetches)));
}

function perFetchDollars(side: WarmSide): number {
  return (
    PRICE.lambdaRequest +
    (fetchBilledMs(side) / 1000) * MEMORY_GB * PRICE.lambdaGbSecond +
    awsDollars(perCall(side.calls, side.fetches))
  );
}

/** The monthly lines of `users` that do not depend on the refresh policy. */
export function fetchSideMonthly(warm: WarmSide, users: number) {
  return {
    tokenFetch: users * FETCHES_PER_USER_MONTH * perFetchDollars(warm),
    fixed: PRICE.kmsKeyMonth + PRICE.secretMonth + METRIC_SERIES * PRICE.metricMonth,
    connect: users * CALLBACKS_PER_USER_MONTH * (PRICE.httpApiRequest + 2 * PRICE.lambdaRequest),
    storage: ((users * ITEM_KB) / 1024 / 1024) * PRICE.dynamoStorageGbMonth,
  };
}

/** The assumptions of {@link fetchSideMonthly}, as printed. */
export const FETCH_SIDE_ASSUMPTIONS =
  `${FETCHES_PER_USER_MONTH} token-fetch invocations per user per month (after the caller library's cache), 1 KMS key, 1 secret, ` +
  `${METRIC_SERIES} metric series, each user reconnecting about once a year (HTTP API + 2 invocations), ${ITEM_KB} KB stored per user`;

export async function measureCost(stack: BenchStack): Promise<Section> {
  const warm = await warmFetchStats(stack);
  const perMillion = { on: perFetchDollars(warm.on) * 1e6, off: perFetchDollars(warm.off) * 1e6 };
  const month = { on: fetchSideMonthly(warm.on, USERS), off: fetchSideMonthly(warm.off, USERS) };
  const usd = (x: number) => `$${x.toFixed(2)}`;
  const parts = (p: Record<string, number>) =>
    Object.entries(p)
      .map(([k, v]) => `${k} ${usd(v)}`)
      .join(', ');
  return {
    title: `cost model (us-east-1 list prices, Lambda arm64 ${FUNCTIONS.tokenFetch.memoryMiB} MB), from this run's measured calls and times`,
    off: 'caches (their measured calls and times)',
    figures: [
      {
        label: 'billed Lambda ms per token-fetch (modelled)',
        on: fetchBilledMs(warm.on),
        off: fetchBilledMs(warm.off),
      },
      {
        label: '$ per million token-fetches',
        on: perMillion.on,
        off: perMillion.off,
        digits: 3,
        target: '< $0.50',
        met: perMillion.on < 0.5,
      },
    ],
    notes: [
      `cost assumptions: prices Lambda arm64 $${PRICE.lambdaGbSecond}/GB-s + $0.20/M requests; DynamoDB on demand $0.125/M RRU, $0.625/M WRU, ` +
        `$0.25/GB-month; KMS $0.03/10k requests + $1/key-month; Secrets Manager $0.40/secret-month + $0.05/10k calls; custom metrics (EMF) ` +
        '$0.30/metric-month; HTTP API $1.00/M; SQS $0.40/M requests; EventBridge $1.00/M. No free tier. token-fetch is called through the Lambda Invoke API (no API Gateway).',
      `cost assumptions: billed ms per fetch = measured p50 handler time excl. HTTP round trips x ${CPU_SCALE.toFixed(2)} (256 MB gets ` +
        `1/${CPU_SCALE.toFixed(2)} of a vCPU; this machine's CPU is not Graviton) + in-region latency per measured call (DynamoDB ` +
        `${LATENCY_MS.DynamoDB} ms, KMS ${LATENCY_MS.KMS} ms, Secrets Manager ${LATENCY_MS.SecretsManager} ms), rounded up to 1 ms. Items ${ITEM_KB} KB: ` +
        'a consistent GetItem is 1 RRU.',
      `cost assumptions, per month: ${FETCH_SIDE_ASSUMPTIONS}. The refresh line and the totals per ${USERS.toLocaleString('en-US')} users: see the capacity and cost section.`,
      `cost, ${USERS.toLocaleString('en-US')} users, lines that do not depend on the refresh policy, on: ${parts(month.on)}; off: ${parts(month.off)}.`,
    ],
  };
}
