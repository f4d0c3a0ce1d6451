/**
 * Cost model: dollars per million token-fetches and per 10,000 connected users per month, at AWS list prices
 * (us-east-1, no free tier), from the calls per fetch and per refresh and the handler time measured in this run
 * (bench/warm-fetch.ts, bench/refresh.ts), with and without the caches. Every assumption is printed.
 */
import { METRICS } from '@token-vault/cdk/src/definitions/metrics';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { percentile, type Section } from './report';
import { refreshStats, type RefreshSide } from './refresh';
import type { BenchStack } from './stack';
import { warmFetchStats, type WarmSide } from './warm-fetch';

/** List prices, us-east-1 (checked 2026-11). */
const PRICE = {
  lambdaGbSecond: 0.0000133334, // arm64
  lambdaRequest: 0.2 / 1e6,
  dynamoRru: 0.125 / 1e6, // on demand, since the November 2024 price cut
  dynamoWru: 0.625 / 1e6,
  dynamoStorageGbMonth: 0.25,
  kmsRequest: 0.03 / 1e4,
  kmsKeyMonth: 1,
  secretMonth: 0.4,
  secretsRequest: 0.05 / 1e4,
  metricMonth: 0.3,
  httpApiRequest: 1 / 1e6,
} as const;

const MEMORY_GB = FUNCTIONS.tokenFetch.memoryMiB / 1024;
/** Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB. */
const CPU_SCALE = 1769 / FUNCTIONS.tokenFetch.memoryMiB;
/** In-region latency of one call, added to the billed duration (the local emulator's is not AWS's). */
const LATENCY_MS = { DynamoDB: 4, KMS: 6, SecretsManager: 15 } as const;
const USERS = 10_000;
const FETCHES_PER_USER_MONTH = 1000;
/** Access tokens valid 1 hour, refreshed ahead by the sweep whether used or not. */
const REFRESHES_PER_USER_MONTH = 720;
/** Provider round trip of a refresh (Lambda waits for it, so it is billed). */
const PROVIDER_MS = 300;
/** Connected-users item, sealed tokens included; reads up to 4 KB are 1 RRU, writes are 1 WRU per KB. */
const ITEM_KB = 2;
/** Each user connects again (connect + callback through the HTTP API) about once a year. */
const CALLBACKS_PER_USER_MONTH = 1 / 12;
/** Metric x dimension combinations: one application, about two values for every other dimension. */
const METRIC_SERIES = Object.values(METRICS).reduce((sum, m) => sum + 2 ** Math.max(0, m.dimensions.length - 1), 0);
const SWEEPS_PER_MONTH = 8640;

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

function perRefreshDollars(side: RefreshSide): number {
  const calls = perCall(side.calls, side.refreshes);
  // The provider round trip dominates; the vault's own CPU per refresh (a few ms) is left out.
  const billedMs = Math.ceil(PROVIDER_MS + latency(calls));
  return (billedMs / 1000) * MEMORY_GB * PRICE.lambdaGbSecond + awsDollars(calls);
}

function monthly(warm: WarmSide, refresh: RefreshSide) {
  const fetches = USERS * FETCHES_PER_USER_MONTH;
  const refreshes = USERS * REFRESHES_PER_USER_MONTH;
  const parts = {
    tokenFetch: fetches * perFetchDollars(warm),
    refresh: refreshes * perRefreshDollars(refresh) + SWEEPS_PER_MONTH * PRICE.lambdaRequest,
    fixed: PRICE.kmsKeyMonth + PRICE.secretMonth + METRIC_SERIES * PRICE.metricMonth,
    connect: USERS * CALLBACKS_PER_USER_MONTH * (PRICE.httpApiRequest + 2 * PRICE.lambdaRequest),
    storage: ((USERS * ITEM_KB) / 1024 / 1024) * PRICE.dynamoStorageGbMonth,
  };
  return { parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}

export async function measureCost(stack: BenchStack): Promise<Section> {
  const warm = await warmFetchStats(stack);
  const refresh = await refreshStats(stack);
  const perMillion = { on: perFetchDollars(warm.on) * 1e6, off: perFetchDollars(warm.off) * 1e6 };
  const month = { on: monthly(warm.on, refresh.on), off: monthly(warm.off, refresh.off) };
  const usd = (x: number) => `$${x.toFixed(2)}`;
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
      {
        label: '$ per refresh x 1e6 (per million refreshes)',
        on: perRefreshDollars(refresh.on) * 1e6,
        off: perRefreshDollars(refresh.off) * 1e6,
        digits: 2,
      },
      {
        label: `$ per month, ${USERS.toLocaleString('en-US')} connected users`,
        on: month.on.total,
        off: month.off.total,
        digits: 2,
      },
    ],
    notes: [
      `cost assumptions: prices Lambda arm64 $${PRICE.lambdaGbSecond}/GB-s + $0.20/M requests; DynamoDB on demand $0.125/M RRU, $0.625/M WRU, ` +
        `$0.25/GB-month; KMS $0.03/10k requests + $1/key-month; Secrets Manager $0.40/secret-month + $0.05/10k calls; custom metrics (EMF) ` +
        '$0.30/metric-month; HTTP API $1.00/M. No free tier. token-fetch is called through the Lambda Invoke API (no API Gateway).',
      `cost assumptions: billed ms per fetch = measured p50 handler time excl. HTTP round trips x ${CPU_SCALE.toFixed(2)} (256 MB gets ` +
        `1/${CPU_SCALE.toFixed(2)} of a vCPU; this machine's CPU is not Graviton) + in-region latency per measured call (DynamoDB ` +
        `${LATENCY_MS.DynamoDB} ms, KMS ${LATENCY_MS.KMS} ms, Secrets Manager ${LATENCY_MS.SecretsManager} ms), rounded up to 1 ms. Items ${ITEM_KB} KB: ` +
        'a consistent GetItem is 1 RRU, an UpdateItem 2 WRU.',
      `cost assumptions, per month: ${USERS.toLocaleString('en-US')} users, ${FETCHES_PER_USER_MONTH} token-fetch invocations per user (after the ` +
        `caller library's cache), ${REFRESHES_PER_USER_MONTH} refreshes per user (1-hour tokens refreshed ahead by the sweep; ${PROVIDER_MS} ms ` +
        `provider round trip billed + measured calls per refresh), ${SWEEPS_PER_MONTH} sweeps, 1 KMS key, 1 secret, ${METRIC_SERIES} metric series, ` +
        'each user reconnecting about once a year.',
      `cost, ${USERS.toLocaleString('en-US')} users, on: ` +
        Object.entries(month.on.parts)
          .map(([k, v]) => `${k} ${usd(v)}`)
          .join(', ') +
        '; off: ' +
        Object.entries(month.off.parts)
          .map(([k, v]) => `${k} ${usd(v)}`)
          .join(', ') +
        '.',
    ],
  };
}
