/**
 * The bench's capacity and cost model (bench/cost-model/): pure functions, checked against hand-computed values
 * and against the deployed definitions, and the printed assumptions checked to be the ones the figures use.
 */
import { loadProactiveRefresh } from '@token-vault/cdk/functions/runtime/config';
import { DEFAULT_WORKER_MAX_CONCURRENCY, REFRESH_QUEUE } from '@token-vault/cdk/src/definitions/queues';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { perRefresh } from '../../bench/capacity';
import { capacityFigures, capacityNotes, monthlyPerUsers, TARGET } from '../../bench/cost-model/capacity-report';
import { deployedDefaults, type Deployed } from '../../bench/cost-model/deployed';
import { itemBytes, readUnits, writeUnits } from '../../bench/cost-model/item-size';
import {
  availablePerSecond,
  concurrencyFor,
  counts,
  neededPerSecond,
  perConnection,
  refreshMonthly,
  refreshPeriodMin,
  total,
  type RefreshMeasure,
} from '../../bench/cost-model/refresh-model';
import { USAGE } from '../../bench/cost-model/usage';
import { ratio } from '../../bench/scale/report';
import type { LevelFigures } from '../../bench/scale/workers';

const deployed = deployedDefaults();
const measure: RefreshMeasure = {
  source: 'test',
  dynamo: { GetItem: 1, UpdateItem: 2 },
  decryptPerRefresh: 1,
  itemBytes: 700,
};
const fetchSide = { tokenFetch: 1, fixed: 2, connect: 0, storage: 0 };

describe('deployed defaults', () => {
  it('are read from the definitions and the construct, not copied', () => {
    expect(deployed.policy).toBe(loadProactiveRefresh({}));
    expect(deployed.dataKeyMaxWrites).toBe(TUNABLES.dataKeyMaxWrites.default);
    expect(deployed.lookaheadMin).toBe(TUNABLES.sweepLookaheadSeconds.default / 60);
    expect(deployed.marginMin).toBe(TUNABLES.refreshMarginSeconds.default / 60);
    expect(deployed.workerMaxConcurrency).toBe(DEFAULT_WORKER_MAX_CONCURRENCY);
    expect(deployed.workerBatchSize).toBe(REFRESH_QUEUE.batchSize);
    expect(deployed.workerMemoryMiB).toBe(FUNCTIONS.refreshWorker.memoryMiB);
  });
});

describe('refresh model', () => {
  const design: Deployed = { ...deployed, accessTokenTtlMin: 60, marginMin: 5, lookaheadMin: 3, sweepIntervalMin: 1 };

  it('refreshes a connection kept ahead once per period: expiry less margin and look-ahead, plus half an interval', () => {
    expect(refreshPeriodMin(design)).toBe(52.5);
    expect(refreshPeriodMin({ ...design, lookaheadMin: 10, sweepIntervalMin: 5 })).toBe(47.5);
    // Never before half the lifetime less the look-ahead, never more often than the sweep runs.
    expect(refreshPeriodMin({ ...design, accessTokenTtlMin: 5, marginMin: 5 })).toBe(1);
  });

  it('counts per used day what the design simulation counted: 1 on demand, 10 proactive, 9 marks, 1 unused visit', () => {
    const c = counts('used', design, { ...USAGE, dailyActive: 0.2, sessionHours: 8 });
    const usedDays = 6;
    expect(c.onDemand).toBe(usedDays);
    expect(c.proactive).toBe(10 * usedDays);
    expect(c.marks).toBe(9 * usedDays);
    expect(c.unusedVisits).toBe(usedDays);
    expect(counts('all', design, USAGE).proactive).toBeCloseTo((30 * 24 * 60) / 52.5);
  });

  it('grows capacity linearly with MaximumConcurrency and finds the concurrency a rate needs', () => {
    const one = availablePerSecond(1, measure, deployed, USAGE);
    expect(availablePerSecond(4, measure, deployed, USAGE)).toBeCloseTo(4 * one);
    expect(availablePerSecond(8, measure, deployed, USAGE)).toBeCloseTo(
      2 * availablePerSecond(4, measure, deployed, USAGE),
    );
    const needed = neededPerSecond('all', 1_000_000, deployed, USAGE);
    const m = concurrencyFor(needed, measure, deployed, USAGE);
    expect(availablePerSecond(m, measure, deployed, USAGE)).toBeGreaterThanOrEqual(needed);
    expect(availablePerSecond(m - 1, measure, deployed, USAGE)).toBeLessThan(needed);
  });

  it('needs fewer refreshes under used than all, in proportion to the daily-active share', () => {
    expect(neededPerSecond('used', 1e6, deployed, USAGE)).toBeCloseTo(
      neededPerSecond('all', 1e6, deployed, USAGE) * USAGE.dailyActive,
    );
    expect(total(perConnection('used', measure, deployed, USAGE))).toBeLessThan(
      total(perConnection('all', measure, deployed, USAGE)),
    );
  });

  it('prices reads as reads and writes as writes', () => {
    const reads = total(refreshMonthly('all', 1e4, { ...measure, dynamo: { GetItem: 3 } }, deployed, USAGE));
    const writes = total(refreshMonthly('all', 1e4, { ...measure, dynamo: { UpdateItem: 3 } }, deployed, USAGE));
    expect(writes).toBeGreaterThan(reads);
  });

  it('prices a bigger item at more write units', () => {
    const small = total(refreshMonthly('all', 1e4, measure, deployed, USAGE));
    const big = total(refreshMonthly('all', 1e4, { ...measure, itemBytes: 2000 }, deployed, USAGE));
    expect(big).toBeGreaterThan(small);
  });
});

describe('item size', () => {
  it('counts names and values as DynamoDB does, and rounds units up', () => {
    expect(itemBytes({ ab: 'xyz', n: 12345, b: new Uint8Array(10), t: true })).toBe(2 + 3 + 1 + 4 + 1 + 10 + 1 + 1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(4096)).toBe(1);
    expect(readUnits(4097)).toBe(2);
  });
});

describe('capacity report', () => {
  it('prints the assumptions the figures use', () => {
    const usage = { ...USAGE, dailyActive: 0.3, providerMs: 500 };
    const notes = capacityNotes(deployed, measure, usage, fetchSide, 'fetch side').join('\n');
    expect(notes).toContain('30 % of connections used');
    expect(notes).toContain('provider round trip 500 ms');
    expect(notes).toContain(`policy ${deployed.policy}`);
    expect(notes).toContain('connection item 700 bytes (1 WRU per write');
    const figures = capacityFigures(deployed, measure, usage, fetchSide);
    const peak = figures.find((f) => f.label === '1M connections: refreshes/s needed at peak')!;
    expect(peak.on).toBeCloseTo(neededPerSecond(deployed.policy, 1e6, deployed, usage));
    expect(peak.off).toBeCloseTo(neededPerSecond('all', 1e6, deployed, usage));
  });

  it('marks the cost target on the deployed policy only, and as the total says', () => {
    const figures = capacityFigures(deployed, measure, USAGE, fetchSide);
    const targeted = figures.filter((f) => f.target?.startsWith('<'));
    expect(targeted).toHaveLength(1);
    const totalOn = monthlyPerUsers(deployed.policy, deployed, measure, USAGE, fetchSide);
    expect(targeted[0]!.on).toBeCloseTo(totalOn);
    expect(targeted[0]!.met).toBe(totalOn < TARGET.dollarsPer10kUsers);
    expect(targeted[0]!.target).toContain(`policy ${deployed.policy}`);
    const expensive = capacityFigures(deployed, measure, USAGE, { ...fetchSide, fixed: 100 });
    expect(expensive.find((f) => f.target?.startsWith('<'))!.met).toBe(false);
  });
});

describe('scale figures', () => {
  const level = (workers: number, perSecond: number) => ({ workers, perSecond }) as LevelFigures;

  it('reports throughput as the ratio to one worker', () => {
    const levels = [level(1, 2), level(2, 3.8), level(4, 7), level(8, 12)];
    expect(ratio(levels, 1, 4)).toBeCloseTo(3.5);
    expect(ratio(levels, 1, 8)).toBeCloseTo(6);
  });

  it('splits counted calls (SDK command names) into DynamoDB API calls and KMS Decrypts per refresh', () => {
    expect(
      perRefresh(
        {
          'DynamoDB.GetItemCommand': 10,
          'DynamoDB.UpdateItemCommand': 20,
          'KMS.DecryptCommand': 10,
          'KMS.GenerateDataKeyCommand': 1,
          'SQS.ReceiveMessageCommand': 3,
        },
        10,
      ),
    ).toEqual({ dynamo: { GetItem: 1, UpdateItem: 2 }, decrypt: 1 });
  });
});
