/**
 * The metrics the functions emit against the dashboard and alarms that read them. Runs the lifecycle through the
 * handlers (connect, callbacks refused for several reasons, fetches, forced, on-demand and proactive refreshes,
 * invalid_grant, revoke), parses the Embedded Metric Format records written to stdout, and checks:
 *  - every metric the dashboard or an alarm references that the lifecycle can trigger is emitted under the same
 *    namespace, name and dimension set (and, for alarms, with the dimension values they name);
 *  - every emitted metric appears on the dashboard, for an application the dashboard draws.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthorizationFailureReason } from '@token-vault/cdk/functions/core/vault/authorization-types';
import { ALARMS, DASHBOARD, alarmTerms, widgetsOf, type VaultSeries } from '@token-vault/cdk/src/monitoring';
import {
  METRICS,
  METRICS_NAMESPACE,
  REFRESH_TRIGGERS,
  UNKNOWN_APPLICATION,
  type AuthorizationFailureReasonValue,
  type MetricKey,
} from '@token-vault/cdk/src/definitions/metrics';
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { LOG_DIR } from '../support/leak-guard';
import { testDeadline } from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

/** The definitions list exactly the reasons the core emits (compile-time, both directions). */
const reasonsMatch: [AuthorizationFailureReason] extends [AuthorizationFailureReasonValue]
  ? [AuthorizationFailureReasonValue] extends [AuthorizationFailureReason]
    ? true
    : false
  : false = true;

/** Metrics the lifecycle cannot trigger without breaking the store on purpose, and why. */
const NOT_TRIGGERED: Partial<Record<MetricKey, string>> = {
  WRITE_AFTER_REFRESH_FAILED:
    'needs DynamoDB to fail between the provider answer and the commit (covered by the coordinator unit tests)',
  CONNECTION_EVENT_RETRY:
    'needs a put on the bus to fail (covered by test/functions/events.test.ts and the publisher unit tests)',
};

interface EmfRecord {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly dimensions: Record<string, string>;
  readonly value: number;
}

/** EMF records in captured output: one JSON object per line carrying `_aws.CloudWatchMetrics`. */
function parseEmf(text: string): EmfRecord[] {
  const records: EmfRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"_aws"')) continue;
    const json = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
      };
    };
    for (const directive of json._aws.CloudWatchMetrics) {
      // One dimension set per record; a metric without dimensions (OldestPendingRevocationAge) has none.
      expect(directive.Dimensions.length).toBeLessThanOrEqual(1);
      for (const metric of directive.Metrics) {
        const dimensions = Object.fromEntries(
          (directive.Dimensions[0] ?? []).map((name) => [name, String(json[name])]),
        );
        records.push({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: metric.Unit,
          dimensions,
          value: Number(json[metric.Name]),
        });
      }
    }
  }
  return records;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sortedNames = (dimensions: Record<string, unknown>): string[] => Object.keys(dimensions).sort();
const keyOf = (name: string): MetricKey => {
  const key = (Object.keys(METRICS) as MetricKey[]).find((k) => METRICS[k].name === name);
  if (key === undefined)
    throw new Error(`emitted metric ${name} is not defined in packages/cdk/src/definitions/metrics.ts`);
  return key;
};

let vault: Vault;
let emitted: EmfRecord[];
/** JSON log lines (Powertools Logger) of the lifecycle. */
let logLines: Record<string, unknown>[];

beforeAll(async () => {
  const logFile = join(LOG_DIR, `${process.pid}.log`);
  // Output so far (earlier test files in this worker) is not ours.
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  // The forced refresh below follows the fetch at once: no minimum interval.
  vault = await startVault({ accessTokenTtlSeconds: 2, env: { [TUNABLES.forcedRefreshMinIntervalSeconds.env]: '0' } });

  // Connections.
  for (const user of ['alice', 'bob', 'carol']) await vault.connectUser(user);
  // Callbacks refused: the user says no; a forged state; an issuer mix-up; a forged code.
  const refusals: [string, Parameters<Vault['authorizeAndCallback']>[1]][] = [
    ['mallory', { loginHint: 'deny' }],
    ['mallory', { loginHint: 'mallory', tamper: (q) => q.set('state', 'x'.repeat(43)) }],
    ['mallory', { loginHint: 'mallory', tamper: (q) => q.set('iss', 'https://issuer.invalid') }],
    ['mallory', { loginHint: 'mallory', tamper: (q) => q.set('code', 'forged-authorization-code') }],
  ];
  for (const [userId, options] of refusals) {
    const started = await vault.invoke('connect', { userId });
    await vault.authorizeAndCallback(String(started.authorizationUrl), options);
  }
  // A fetch, a forced refresh.
  expect(await vault.invoke('tokenFetch', { userId: 'alice', minValiditySeconds: 0 })).toMatchObject({ ok: true });
  expect(await vault.invoke('refresh', { userId: 'alice' })).toMatchObject({ ok: true });
  // invalid_grant: the provider revoked bob's grant.
  await vault.provider.revokeGrants('bob');
  await sleep(2100);
  expect(await vault.invoke('tokenFetch', { userId: 'bob' })).toMatchObject({
    ok: false,
    error: { code: 'reauthorization_required' },
  });
  // On-demand refresh of an expired token.
  expect(await vault.invoke('tokenFetch', { userId: 'carol' })).toMatchObject({ ok: true });
  // The sweep enqueues alice, the worker refreshes her ahead of time; the sweep samples the active counters.
  expect(await vault.sweep()).toMatchObject({ sweep: { ok: true }, failed: 0 });
  // Revoke, then a fetch that finds nothing.
  expect(await vault.invoke('revoke', { userId: 'alice', reason: 'user_disconnected' })).toEqual({
    ok: true,
    revoked: 1,
    providerPending: 0,
  });
  expect(await vault.invoke('tokenFetch', { userId: 'alice' })).toMatchObject({
    ok: false,
    error: { code: 'not_connected' },
  });

  const output = readFileSync(logFile).subarray(offset).toString('utf8');
  emitted = parseEmf(output);
  logLines = output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"message"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}, 120_000);
afterAll(async () => vault?.close());

describe('metrics emitted by the lifecycle', () => {
  it('are in the vault namespace, with exactly their declared dimensions and unit', () => {
    expect(reasonsMatch).toBe(true);
    expect(emitted.length).toBeGreaterThan(0);
    for (const record of emitted) {
      const definition = METRICS[keyOf(record.name)];
      expect(record.namespace).toBe(METRICS_NAMESPACE);
      expect(Object.keys(record.dimensions)).toEqual([...definition.dimensions]);
      expect(record.unit).toBe(definition.unit);
      for (const value of Object.values(record.dimensions)) expect(value).not.toBe('none');
    }
  });

  it('cover every defined metric except those the lifecycle cannot trigger', () => {
    const seen = new Set(emitted.map((r) => keyOf(r.name)));
    const expected = (Object.keys(METRICS) as MetricKey[]).filter((key) => NOT_TRIGGERED[key] === undefined);
    expect([...seen].sort()).toEqual(expected.sort());
  });

  it('include every refresh trigger and the expected callback failure reasons', () => {
    const refreshes = emitted.filter((r) => r.name === METRICS.REFRESH.name);
    expect(new Set(refreshes.map((r) => r.dimensions.Trigger))).toEqual(new Set(REFRESH_TRIGGERS));
    const reasons = emitted
      .filter((r) => r.name === METRICS.AUTHORIZATION_FAILURE.name)
      .map((r) => `${r.dimensions.Application}/${r.dimensions.Reason}`);
    expect(reasons.sort()).toEqual(
      ['default/denied', 'default/exchange_failed', 'default/iss_mismatch', `${UNKNOWN_APPLICATION}/bad_state`].sort(),
    );
  });

  it('sample the exact active counters', async () => {
    const samples = emitted.filter((r) => r.name === METRICS.ACTIVE_TOKENS.name);
    expect(samples).toEqual([expect.objectContaining({ dimensions: { Application: 'default' }, value: 2 })]);
    expect(await vault.container.connections().activeCounts(testDeadline())).toEqual({ default: 1 });
  });
});

describe('the dashboard', () => {
  const series = widgetsOf(DASHBOARD).flatMap((w) =>
    w.kind === 'metric' ? w.series.filter((s): s is VaultSeries => s.source === 'vault') : [],
  );

  it('draws every emitted metric, with its dimension set, for the application it was emitted for', () => {
    for (const record of emitted) {
      const key = keyOf(record.name);
      const drawing = series.filter((s) => s.metric === key);
      expect({ metric: record.name, drawn: drawing.length > 0 }).toEqual({ metric: record.name, drawn: true });
      // Every series draws the metric's full dimension set (SEARCH on it, or a plain metric when only Application).
      expect(sortedNames(record.dimensions)).toEqual([...METRICS[key].dimensions].sort());
      if (record.dimensions.Application === UNKNOWN_APPLICATION) {
        expect({
          metric: record.name,
          unknownDrawn: drawing.some((s) => s.includeUnknownApplication === true),
        }).toEqual({ metric: record.name, unknownDrawn: true });
      }
    }
  });

  it('references only metrics the lifecycle emits (or that it cannot trigger), under the same name and dimensions', () => {
    for (const s of series) {
      if (NOT_TRIGGERED[s.metric] !== undefined) continue;
      const matching = emitted.filter((r) => r.name === METRICS[s.metric].name);
      expect({ metric: s.metric, emitted: matching.length > 0 }).toEqual({ metric: s.metric, emitted: true });
      for (const record of matching)
        expect(sortedNames(record.dimensions)).toEqual([...METRICS[s.metric].dimensions].sort());
    }
  });
});

describe('the alarms', () => {
  it('name series the lifecycle emits, with the same name and dimension set', () => {
    for (const alarm of ALARMS) {
      for (const term of alarmTerms(alarm)) {
        if (NOT_TRIGGERED[term.metric] !== undefined) continue;
        const dimensions = { Application: 'default', ...term.where };
        const matching = emitted.filter(
          (r) =>
            r.name === METRICS[term.metric].name && sortedNames(r.dimensions).join() === sortedNames(dimensions).join(),
        );
        expect({ alarm: alarm.id, metric: term.metric, emitted: matching.length > 0 }).toEqual({
          alarm: alarm.id,
          metric: term.metric,
          emitted: true,
        });
      }
    }
  });

  it('name the exact dimension values emitted: ok refreshes per trigger, invalid_grant, callback failure reasons', () => {
    const emittedValues = (metric: MetricKey) =>
      emitted.filter((r) => r.name === METRICS[metric].name).map((r) => JSON.stringify(r.dimensions));
    const fixed = ALARMS.flatMap((alarm) => alarmTerms(alarm).map((term) => ({ term, alarm: alarm.id })));
    // Every value combination the lifecycle emitted for a fixed-term metric, where it is a value an alarm watches,
    // is found verbatim among the alarm series for application `default` (or `unknown`).
    const watched = new Set(
      fixed.flatMap(({ term, alarm }) => {
        const definition = ALARMS.find((a) => a.id === alarm)!;
        const applications =
          definition.includeUnknownApplication === true ? ['default', UNKNOWN_APPLICATION] : ['default'];
        return applications.map((application) =>
          JSON.stringify(
            Object.fromEntries(
              METRICS[term.metric].dimensions.map((d) => [d, d === 'Application' ? application : term.where[d]!]),
            ),
          ),
        );
      }),
    );
    expect(
      emittedValues('REFRESH')
        .filter((d) => d.includes('"Result":"ok"'))
        .every((d) => watched.has(d)),
    ).toBe(true);
    expect(emittedValues('REFRESH_FAILURE').filter((d) => d.includes('invalid_grant'))).not.toHaveLength(0);
    expect(
      emittedValues('REFRESH_FAILURE')
        .filter((d) => d.includes('invalid_grant'))
        .every((d) => watched.has(d)),
    ).toBe(true);
    const callbackFailures = emittedValues('AUTHORIZATION_FAILURE').filter((d) => !d.includes('"denied"'));
    expect(callbackFailures).toHaveLength(3);
    expect(callbackFailures.every((d) => watched.has(d))).toBe(true);
    // A CloudWatch alarm references at most 10 metrics: one per watched reason.
    expect(alarmTerms(ALARMS.find((a) => a.id === 'CallbackFailureSpike')!).length).toBeLessThanOrEqual(10);
  });

  it('can count refreshes from RefreshLatency samples (one per provider refresh, as the failure-rate alarm assumes)', () => {
    const count = (name: string) => emitted.filter((r) => r.name === name).length;
    expect(count(METRICS.REFRESH.name)).toBeGreaterThanOrEqual(4);
    expect(count(METRICS.REFRESH_LATENCY.name)).toBe(count(METRICS.REFRESH.name));
  });
});

describe('the per-user Logs Insights widget', () => {
  it('finds the user of a revocation in its log line (userIds are not secrets; tokens never are logged)', () => {
    const revoked = logLines.filter((line) => line.message === 'Connection revoked.');
    expect(revoked).toEqual([
      expect.objectContaining({ userId: 'alice', applicationId: 'default', reason: 'user_disconnected' }),
    ]);
  });
});
