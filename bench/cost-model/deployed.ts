/**
 * What is deployed by default, read from the construct's own defaults and the shared definitions (never copied):
 * the tunables, the sweep interval and the worker's MaximumConcurrency as `validateOptions({})` resolves them,
 * memory sizes and timeouts of the functions, the queue's batch size, and the proactive policy the functions
 * apply when none is set.
 */
import { loadProactiveRefresh } from '@token-vault/cdk/functions/runtime/config';
import { validateOptions } from '@token-vault/cdk/src/constructs/token-vault-options';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { REFRESH_QUEUE } from '@token-vault/cdk/src/definitions/queues';
import { REFRESH_DUE_SHARDS } from '@token-vault/cdk/src/definitions/tables';

export type Policy = 'used' | 'all' | 'none';

export interface Deployed {
  readonly policy: Policy;
  readonly accessTokenTtlMin: number;
  readonly marginMin: number;
  readonly lookaheadMin: number;
  readonly sweepIntervalMin: number;
  readonly keepAliveLeadDays: number;
  readonly refreshTokenTtlDays: number;
  readonly dataKeyMaxWrites: number;
  readonly dataKeyMaxAgeHours: number;
  readonly workerMaxConcurrency: number;
  readonly workerBatchSize: number;
  readonly workerMemoryMiB: number;
  readonly workerTimeoutSeconds: number;
  readonly fetchMemoryMiB: number;
  readonly sweepMemoryMiB: number;
  readonly dueShards: number;
}

export function deployedDefaults(): Deployed {
  const options = validateOptions({});
  const t = options.values;
  return {
    policy: loadProactiveRefresh({}),
    accessTokenTtlMin: t.defaultAccessTokenTtlSeconds / 60,
    marginMin: t.refreshMarginSeconds / 60,
    lookaheadMin: t.sweepLookaheadSeconds / 60,
    sweepIntervalMin: options.sweepInterval.toMinutes(),
    keepAliveLeadDays: t.keepAliveLeadSeconds / 86_400,
    refreshTokenTtlDays: t.defaultRefreshTokenTtlSeconds / 86_400,
    dataKeyMaxWrites: t.dataKeyMaxWrites,
    dataKeyMaxAgeHours: t.dataKeyMaxAgeSeconds / 3600,
    workerMaxConcurrency: options.refreshWorkerMaxConcurrency,
    workerBatchSize: REFRESH_QUEUE.batchSize,
    workerMemoryMiB: FUNCTIONS.refreshWorker.memoryMiB,
    workerTimeoutSeconds: FUNCTIONS.refreshWorker.timeoutSeconds,
    fetchMemoryMiB: FUNCTIONS.tokenFetch.memoryMiB,
    sweepMemoryMiB: FUNCTIONS.sweep.memoryMiB,
    dueShards: REFRESH_DUE_SHARDS,
  };
}
