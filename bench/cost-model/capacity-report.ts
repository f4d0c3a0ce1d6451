/**
 * The capacity and cost model as table rows and notes: "on" is the deployed default policy, "off" is `all`. Pure:
 * everything it prints comes from its arguments, so the printed assumptions are the ones used.
 */
import type { Figure } from '../report';
import type { Deployed, Policy } from './deployed';
import { writeUnits } from './item-size';
import {
  availablePerSecond,
  concurrencyFor,
  counts,
  fixedMonthly,
  neededPerSecond,
  refreshMonthly,
  refreshPeriodMin,
  total,
  unitCosts,
  workerBatchMs,
  type Lines,
  type RefreshMeasure,
} from './refresh-model';
import type { Usage } from './usage';

export const CONNECTIONS = [10_000, 100_000, 1_000_000] as const;
/** The issue's targets. */
export const TARGET = { dollarsPer10kUsers: 5, refreshesPerSecondAt1M: 300 } as const;

const k = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
const usd = (x: number): string => `$${x.toFixed(2)}`;
const SERVICE_NAMES: Record<keyof Lines, string> = {
  lambda: 'Lambda',
  dynamodb: 'DynamoDB',
  kms: 'KMS',
  sqs: 'SQS',
  eventbridge: 'EventBridge',
};

/** Provider refreshes per connection per month. */
export function refreshesPerConnection(policy: Policy, d: Deployed, u: Usage): number {
  const c = counts(policy, d, u);
  return c.proactive + c.onDemand + c.keepAlive;
}

/** Total per `u.users` users per month: the refresh line plus the lines that do not depend on the policy. */
export function monthlyPerUsers(
  policy: Policy,
  d: Deployed,
  m: RefreshMeasure,
  u: Usage,
  fetchSide: Readonly<Record<string, number>>,
): number {
  return total(refreshMonthly(policy, u.users, m, d, u)) + Object.values(fetchSide).reduce((a, b) => a + b, 0);
}

export function capacityFigures(
  d: Deployed,
  m: RefreshMeasure,
  u: Usage,
  fetchSide: Readonly<Record<string, number>>,
): Figure[] {
  const on = d.policy;
  const figures: Figure[] = [
    { label: 'refresh period of a connection kept ahead (min)', on: refreshPeriodMin(d), digits: 1 },
    {
      label: 'provider refreshes per connection per month',
      on: refreshesPerConnection(on, d, u),
      off: refreshesPerConnection('all', d, u),
      digits: 1,
    },
    { label: `worker invocation, ${d.workerBatchSize} refreshes (billed ms, modelled)`, on: workerBatchMs(m, d, u) },
    {
      label: '$ per million proactive refreshes (worker)',
      on: total(unitCosts(m, d, u).proactive) * 1e6,
      digits: 2,
    },
  ];
  for (const n of CONNECTIONS) {
    const needed = { on: neededPerSecond(on, n, d, u), off: neededPerSecond('all', n, d, u) };
    figures.push(
      { label: `${k(n)} connections: refreshes/s needed at peak`, on: needed.on, off: needed.off, digits: 1 },
      {
        label: `${k(n)} connections: MaximumConcurrency needed (default ${d.workerMaxConcurrency})`,
        on: concurrencyFor(needed.on, m, d, u),
        off: concurrencyFor(needed.off, m, d, u),
      },
      {
        label: `${k(n)} connections: refresh line $ per month`,
        on: total(refreshMonthly(on, n, m, d, u)),
        off: total(refreshMonthly('all', n, m, d, u)),
        digits: 2,
      },
    );
  }
  const m1 = concurrencyFor(neededPerSecond('all', 1e6, d, u), m, d, u);
  figures.push(
    {
      label: `refreshes/s available at the default MaximumConcurrency ${d.workerMaxConcurrency}`,
      on: availablePerSecond(d.workerMaxConcurrency, m, d, u),
      digits: 1,
    },
    {
      label: `refreshes/s available at MaximumConcurrency ${m1} (1M connections, policy all, 1-hour tokens)`,
      on: availablePerSecond(m1, m, d, u),
      digits: 1,
      target: `>= ${TARGET.refreshesPerSecondAt1M}`,
      met: availablePerSecond(m1, m, d, u) >= TARGET.refreshesPerSecondAt1M,
    },
  );
  const lines = { on: refreshMonthly(on, u.users, m, d, u), off: refreshMonthly('all', u.users, m, d, u) };
  for (const service of Object.keys(SERVICE_NAMES) as Array<keyof Lines>) {
    figures.push({
      label: `${k(u.users)} users: refresh line, ${SERVICE_NAMES[service]} $ per month`,
      on: lines.on[service],
      off: lines.off[service],
      digits: 2,
    });
  }
  const totals = { on: monthlyPerUsers(on, d, m, u, fetchSide), off: monthlyPerUsers('all', d, m, u, fetchSide) };
  figures.push(
    { label: `${k(u.users)} users: refresh line $ per month`, on: total(lines.on), off: total(lines.off), digits: 2 },
    {
      label: `${k(u.users)} users: everything $ per month (refresh + token-fetch + fixed + connect + storage)`,
      on: totals.on,
      off: totals.off,
      digits: 2,
      target: `< $${TARGET.dollarsPer10kUsers} (policy ${on}, as deployed)`,
      met: totals.on < TARGET.dollarsPer10kUsers,
    },
  );
  return figures;
}

export function capacityNotes(
  d: Deployed,
  m: RefreshMeasure,
  u: Usage,
  fetchSide: Readonly<Record<string, number>>,
  fetchSideAssumptions: string,
): string[] {
  const c = { on: counts(d.policy, d, u), all: counts('all', d, u) };
  const unit = unitCosts(m, d, u);
  const perService = (lines: Lines) =>
    (Object.keys(SERVICE_NAMES) as Array<keyof Lines>).map((s) => `${SERVICE_NAMES[s]} ${usd(lines[s])}`).join(', ');
  const dynamo = Object.entries(m.dynamo)
    .map(([command, n]) => `${command} ${n.toFixed(2)}`)
    .join(', ');
  const count = (x: ReturnType<typeof counts>) =>
    `${x.proactive.toFixed(1)} proactive, ${x.onDemand.toFixed(1)} on demand, ${x.keepAlive.toFixed(2)} keep-alive, ${x.unusedVisits.toFixed(1)} unused-token visits, ${x.marks.toFixed(1)} use marks, ${x.newDataKeys.toFixed(1)} new data keys`;
  const totalOn = monthlyPerUsers(d.policy, d, m, u, fetchSide);
  const refreshOn = total(refreshMonthly(d.policy, u.users, m, d, u));
  return [
    `capacity: deployed defaults (validateOptions({}) and packages/cdk/src/definitions): policy ${d.policy}; access tokens ${d.accessTokenTtlMin} min ` +
      `(assumed when unstated), margin ${d.marginMin} min, look-ahead ${d.lookaheadMin} min, sweep every ${d.sweepIntervalMin} min over ${d.dueShards} shards; ` +
      `keep-alive ${d.keepAliveLeadDays} days before a ${d.refreshTokenTtlDays}-day refresh token dies; data key reused for ${d.dataKeyMaxWrites} writes / ${d.dataKeyMaxAgeHours} h; ` +
      `refresh-worker ${d.workerMemoryMiB} MB, ${d.workerTimeoutSeconds} s, batches of ${d.workerBatchSize}, MaximumConcurrency ${d.workerMaxConcurrency}; token-fetch ${d.fetchMemoryMiB} MB.`,
    `capacity: per refresh, ${m.source}: DynamoDB ${dynamo}; KMS Decrypt ${m.decryptPerRefresh.toFixed(2)}; connection item ${m.itemBytes} bytes ` +
      `(${writeUnits(m.itemBytes)} WRU per write, 1 RRU per consistent read); plus the commit's index key move (2 WRU) and new data keys from the reuse bounds (modelled).`,
    `capacity, usage assumptions: ${u.users.toLocaleString('en-US')} users with one connection each; ${Math.round(u.dailyActive * 100)} % of connections used on an average day, ` +
      `in one ${u.sessionHours}-hour session; ${Math.round(u.dormant * 100)} % unused all month (kept alive only); provider round trip ${u.providerMs} ms (billed); ` +
      `in-region DynamoDB ${u.dynamoMs} ms, KMS ${u.kmsMs} ms per call; worker CPU ${u.cpuMsPerRefresh} ms per refresh; index entries ${u.indexEntryBytes} bytes; ` +
      `sweep ${u.sweepMs} ms billed; ${u.idlePollers} SQS pollers long-polling ${u.idlePollsPerMinute} times a minute when idle; needed at peak under used: every daily-active connection in session at once.`,
    `capacity, per connection per month: policy ${d.policy}: ${count(c.on)}; policy all: ${count(c.all)}. Unit costs per million: proactive ${usd(total(unit.proactive) * 1e6)}, ` +
      `on demand ${usd(total(unit.onDemand) * 1e6)}, unused-token visit ${usd(total(unit.unusedVisit) * 1e6)}, use mark ${usd(total(unit.mark) * 1e6)}. ` +
      `Fixed per month (schedule, sweeps, idle polling): ${perService(fixedMonthly(d, u))}.`,
    ...[100_000, 1_000_000].map(
      (n) =>
        `capacity, ${k(n)} connections per month: policy ${d.policy}: ${perService(refreshMonthly(d.policy, n, m, d, u))}; ` +
        `policy all: ${perService(refreshMonthly('all', n, m, d, u))}; KMS Decrypt at peak ${(neededPerSecond('all', n, d, u) * m.decryptPerRefresh).toFixed(0)}/s under all ` +
        '(a share of the account’s KMS request quota).',
    ),
    `capacity, the rest per ${u.users.toLocaleString('en-US')} users (bench/cost.ts, measured token-fetch): ${Object.entries(
      fetchSide,
    )
      .map(([name, v]) => `${name} ${usd(v)}`)
      .join(', ')}; ${fetchSideAssumptions}.`,
    `capacity, sensitivity (policy ${d.policy}, ${u.users.toLocaleString('en-US')} users, refresh line): with a 2,000-byte item (JWT access tokens of about 1 KB; ` +
      `${writeUnits(2000)} WRU per write) ${usd(total(refreshMonthly(d.policy, u.users, { ...m, itemBytes: 2000 }, d, u)))}; ` +
      `with ${Math.round(u.dailyActive * 50)} % used a day ${usd(total(refreshMonthly(d.policy, u.users, m, d, { ...u, dailyActive: u.dailyActive / 2 })))}; ` +
      `with ${Math.round(u.dailyActive * 150)} % ${usd(total(refreshMonthly(d.policy, u.users, m, d, { ...u, dailyActive: u.dailyActive * 1.5 })))}; ` +
      `with the sweep every minute looking 3 minutes ahead (design 15's proposal) ${usd(total(refreshMonthly(d.policy, u.users, m, { ...d, sweepIntervalMin: 1, lookaheadMin: 3 }, u)))}.`,
    `capacity, target < $${TARGET.dollarsPer10kUsers} per ${u.users.toLocaleString('en-US')} users per month with the default policy: ${totalOn < TARGET.dollarsPer10kUsers ? 'met' : 'NOT met'} ` +
      `(${usd(totalOn)} in all, of which the refresh line ${usd(refreshOn)}; policy all ${usd(monthlyPerUsers('all', d, m, u, fetchSide))}).`,
  ];
}
