/**
 * The local dashboard: the metric store and the EMF tap as units, then the local stack end to end: a small
 * lifecycle through the Invoke API and the callback, the series of data.json, `/revocations`, and `/dashboard`
 * rendered by Debian's Chromium (playwright-core, no browser download), saved as docs/dashboard.png.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { DASHBOARD, widgetsOf } from '@token-vault/cdk/src/monitoring';
import { completeAuthorization } from '../../local/authorize';
import {
  dashboardData,
  type DashboardData,
  type LineData,
  type MetricWidgetData,
  type WidgetData,
} from '../../local/dashboard/data';
import { ingestEmfLine, installEmfTap, parseEmfLine } from '../../local/dashboard/emf-tap';
import { instrumentFunctions } from '../../local/dashboard/invocations';
import { MetricStore, percentile, statisticOf } from '../../local/dashboard/metric-store';
import { parseRevocationsQuery } from '../../local/dashboard/revocations';
import { lambdaContext, type LoadedFunction } from '../../local/lambda-api';
import { startLocalStack, type LocalStack } from '../../local/server';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { emulatorEndpoint } from '../support/aws';
import { registerSensitive } from '../support/leak-guard';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT = join(__dirname, '..', '..', 'docs', 'dashboard.png');
/** The guide's four panels (the first row of the definition). */
const GUIDE_PANELS = ['active-tokens', 'refresh-frequency', 'failed-authentication', 'revocations'] as const;

/** An EMF line as Powertools Metrics writes it (one metric per record). */
function emf(
  name: string,
  dimensions: Record<string, string>,
  value: number | number[],
  timestamp: number,
  namespace = 'TokenVault',
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: name, Unit: 'Count' }] },
      ],
    },
    ...dimensions,
    [name]: value,
  });
}

// ---------------------------------------------------------------------------------------------- units

describe('MetricStore', () => {
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  let now = T0;
  const clock = (): number => now;
  beforeEach(() => {
    now = T0;
  });

  it('aggregates per series into 10-second buckets with the statistics the definition uses', () => {
    const store = new MetricStore({ now: clock });
    const key = { namespace: 'TokenVault', name: 'TokenFetchLatency', dimensions: { Application: 'default' } };
    for (const value of [5, 1, 9, 3]) store.record(key, value, T0 + 1_000);
    store.record(key, [100, 200], T0 + 12_000);
    const at = (stat: Parameters<MetricStore['values']>[1]) => store.values([key], stat, T0, T0 + 25_000);
    expect(at('Sum')).toEqual([18, 300, null]);
    expect(at('SampleCount')).toEqual([4, 2, null]);
    expect(at('Maximum')).toEqual([9, 200, null]);
    expect(at('Average')).toEqual([4.5, 150, null]);
    expect(at('p50')).toEqual([3, 100, null]);
    expect(at('p99')).toEqual([9, 200, null]);
    expect(store.values([key], 'Sum', T0, T0 + 25_000, { fillZero: true })).toEqual([18, 300, 0]);
  });

  it('keeps series apart by dimension values and merges them on request', () => {
    const store = new MetricStore({ now: clock });
    const ok = { namespace: 'TokenVault', name: 'TokenFetch', dimensions: { Application: 'default', Result: 'ok' } };
    const failed = {
      namespace: 'TokenVault',
      name: 'TokenFetch',
      dimensions: { Result: 'not_connected', Application: 'default' },
    };
    store.record(ok, 1, T0);
    store.record(ok, 1, T0);
    store.record(failed, 1, T0);
    store.record({ ...ok, dimensions: { Application: 'other', Result: 'ok' } }, 1, T0);
    store.record({ ...ok, namespace: 'Elsewhere' }, 1, T0);
    expect(store.size).toBe(4);
    const found = store.find({ namespace: 'TokenVault', name: 'TokenFetch', where: { Application: 'default' } });
    expect(found.map((k) => k.dimensions.Result)).toEqual(['ok', 'not_connected']);
    expect(store.values(found, 'Sum', T0, T0)).toEqual([3]);
    expect(store.find({ namespace: 'TokenVault', name: 'TokenFetch', dimensionNames: ['Application'] })).toEqual([]);
  });

  it('keeps the last hour only, and refuses datapoints outside it', () => {
    const store = new MetricStore({ now: clock });
    const key = { namespace: 'N', name: 'M', dimensions: {} };
    store.record(key, 1, T0);
    store.record(key, 1, T0 - 3_600_000);
    store.record(key, 1, T0 + 60_000);
    expect(store.dropped).toBe(2);
    now = T0 + 3_590_000;
    expect(store.values([key], 'Sum', T0, T0)).toEqual([1]);
    now = T0 + 3_600_000;
    expect(store.values([key], 'Sum', T0, T0)).toEqual([null]);
    expect(store.size).toBe(0);
    expect(store.earliest()).toBeUndefined();
  });

  it('bounds memory: samples per bucket and the number of series', () => {
    const store = new MetricStore({ now: clock, maxSamplesPerBucket: 10, maxSeries: 2 });
    const key = { namespace: 'N', name: 'M', dimensions: { A: '1' } };
    for (let i = 1; i <= 1000; i += 1) store.record(key, i, T0);
    expect(store.values([key], 'SampleCount', T0, T0)).toEqual([1000]);
    expect(store.values([key], 'Sum', T0, T0)).toEqual([500_500]);
    expect(store.values([key], 'Maximum', T0, T0)).toEqual([1000]);
    const p50 = store.values([key], 'p50', T0, T0)[0]!;
    expect(p50).toBeGreaterThanOrEqual(1);
    expect(p50).toBeLessThanOrEqual(1000);
    store.record({ ...key, dimensions: { A: '2' } }, 1, T0);
    store.record({ ...key, dimensions: { A: '3' } }, 1, T0);
    expect(store.size).toBe(2);
    expect(store.dropped).toBe(1);
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 99)).toBe(7);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => 100 - i),
        99,
      ),
    ).toBe(99);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(statisticOf(undefined, 'Sum')).toBeUndefined();
  });
});

describe('EMF tap', () => {
  const T0 = Date.now();

  it('parses the records Powertools writes, with dimension values and array values', () => {
    expect(parseEmfLine(emf('Refresh', { Application: 'default', Trigger: 'forced', Result: 'ok' }, 1, T0))).toEqual([
      {
        namespace: 'TokenVault',
        name: 'Refresh',
        dimensions: { Application: 'default', Trigger: 'forced', Result: 'ok' },
        values: [1],
        timestamp: T0,
      },
    ]);
    expect(parseEmfLine(emf('RefreshLatency', { Application: 'a' }, [3, 4], T0))[0]?.values).toEqual([3, 4]);
    expect(parseEmfLine('{"level":"INFO","message":"_aws"}')).toEqual([]);
    expect(parseEmfLine('not json "_aws"')).toEqual([]);
    // A dimension without a value is no datapoint.
    expect(
      parseEmfLine(
        JSON.stringify({
          _aws: { CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['Missing']], Metrics: [{ Name: 'M' }] }] },
          M: 1,
        }),
      ),
    ).toEqual([]);
  });

  it('passes every write through unchanged and feeds complete EMF lines to the store', () => {
    const store = new MetricStore();
    const written: unknown[][] = [];
    const stream = {
      write: (...args: unknown[]): boolean => {
        written.push(args);
        return true;
      },
    };
    const tap = installEmfTap(store, stream);
    const line = emf('TokenFetch', { Application: 'default', Result: 'ok' }, 1, T0);
    const callback = (): void => undefined;
    stream.write(`${line}\n`);
    stream.write('{"level":"INFO","message":"hello"}\n', 'utf8', callback);
    // A record split over two writes, one as a Buffer.
    stream.write(line.slice(0, 20));
    stream.write(Buffer.from(`${line.slice(20)}\n${line}`));
    expect(tap.records()).toBe(2);
    stream.write('\n');
    expect(tap.records()).toBe(3);
    expect(written).toEqual([
      [`${line}\n`],
      ['{"level":"INFO","message":"hello"}\n', 'utf8', callback],
      [line.slice(0, 20)],
      [Buffer.from(`${line.slice(20)}\n${line}`)],
      ['\n'],
    ]);
    const keys = store.find({ namespace: 'TokenVault', name: 'TokenFetch' });
    expect(store.values(keys, 'Sum', T0, T0)).toEqual([3]);

    tap.uninstall();
    stream.write(`${line}\n`);
    expect(tap.records()).toBe(3);
    expect(written).toHaveLength(6);
  });

  it('restores the previous write on uninstall', () => {
    const original = (): boolean => true;
    const stream = { write: original };
    const tap = installEmfTap(new MetricStore(), stream);
    expect(stream.write).not.toBe(original);
    tap.uninstall();
    expect(stream.write).toBe(original);
    tap.uninstall();
  });

  it('counts ingested lines', () => {
    const store = new MetricStore();
    expect(ingestEmfLine(store, emf('Connection', { Application: 'default' }, 1, T0))).toBe(true);
    expect(ingestEmfLine(store, '{"_aws":{}}')).toBe(false);
  });
});

describe('dashboardData', () => {
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

  function build(lines: string[]): DashboardData {
    const store = new MetricStore({ now: () => T0 });
    for (const line of lines) ingestEmfLine(store, line);
    return dashboardData({ store, applications: ['default'], now: T0 });
  }

  it('lays out exactly the widgets of the definition', () => {
    const data = build([]);
    expect(data.rows.map((row) => row.map((w) => [w.id, w.title, w.description, w.width, w.height]))).toEqual(
      DASHBOARD.rows.map((row) => row.map((w) => [w.id, w.title, w.description, w.width, w.height])),
    );
    expect(data.timestamps).toHaveLength(30);
    expect(data.timestamps.at(-1)).toBe(T0);
  });

  it('splits lines per seen dimension value, one line per application otherwise, and marks what is AWS only', () => {
    const data = build([
      emf('Refresh', { Application: 'default', Trigger: 'forced', Result: 'ok' }, 1, T0),
      emf('Refresh', { Application: 'default', Trigger: 'on_demand', Result: 'invalid_grant' }, 1, T0),
      emf('AuthorizationFailure', { Application: 'unknown', Reason: 'bad_state' }, 1, T0),
      emf('ActiveTokens', { Application: 'default' }, 4, T0 - 20_000),
    ]);
    const widget = (id: string): WidgetData => data.rows.flat().find((w) => w.id === id)!;
    const metric = (id: string): MetricWidgetData => widget(id) as MetricWidgetData;
    expect(metric('refresh-frequency').lines.map((l) => l.label)).toEqual([
      'default refreshes: forced ok',
      'default refreshes: on_demand invalid_grant',
    ]);
    expect(metric('refresh-frequency').stacked).toBe(true);
    expect(metric('failed-authentication').lines.map((l) => l.label)).toEqual(['unknown callback failures: bad_state']);
    const active = metric('active-tokens').lines;
    expect(active.map((l) => l.label)).toEqual(['default active']);
    expect(active[0]!.values.slice(-3)).toEqual([4, null, null]);
    expect(metric('connections').lines.map((l) => [l.label, l.values.at(-1)])).toEqual([
      ['default connected', 0],
      ['default reauthorization required', 0],
    ]);
    expect(metric('dead-letters')).toMatchObject({
      awsOnly: true,
      lines: [],
      note: expect.stringContaining('AWS only'),
    });
    expect(metric('function-invocations').lines.map((l) => l.label)).toEqual(
      Object.values(FUNCTIONS).map((f) => f.name),
    );
    expect(metric('function-throttles').note).toContain('never throttled');
    expect(widget('events-by-user')).toMatchObject({
      kind: 'logs',
      note: expect.stringContaining('CloudWatch Logs Insights in AWS'),
    });
  });

  it('counts local invocations per function for the Lambda widgets', async () => {
    const store = new MetricStore();
    const fn: LoadedFunction = { definition: FUNCTIONS.revoke, handler: () => Promise.reject(new Error('boom')) };
    const ok: LoadedFunction = { definition: FUNCTIONS.connect, handler: () => Promise.resolve({ ok: true }) };
    const wrapped = instrumentFunctions(
      new Map([
        ['revoke', fn],
        ['connect', ok],
      ]),
      store,
    );
    const context = lambdaContext(FUNCTIONS.revoke, 'r1', Date.now() + 1000);
    await expect(wrapped.get('revoke')!.handler({}, context)).rejects.toThrow('boom');
    await expect(wrapped.get('connect')!.handler({}, context)).resolves.toEqual({ ok: true });
    await wrapped.get('connect')!.handler({}, context);
    const data = dashboardData({ store, applications: ['default'] });
    const total = (id: string, fnName: string): number => {
      const widget = data.rows.flat().find((w) => w.id === id) as MetricWidgetData;
      return widget.lines.find((l) => l.label === fnName)!.values.reduce<number>((a, v) => a + (v ?? 0), 0);
    };
    expect(total('function-invocations', 'connect')).toBe(2);
    expect(total('function-invocations', 'revoke')).toBe(1);
    expect(total('function-errors', 'revoke')).toBe(1);
    expect(total('function-errors', 'connect')).toBe(0);
    expect(total('function-throttles', 'connect')).toBe(0);
  });

  it('validates the /revocations query', () => {
    expect(parseRevocationsQuery(new URLSearchParams(''))).toEqual({ limit: 25, cursor: undefined });
    expect(parseRevocationsQuery(new URLSearchParams('limit=100'))).toEqual({ limit: 100, cursor: undefined });
    expect(() => parseRevocationsQuery(new URLSearchParams('limit=0'))).toThrow('limit must be');
    expect(() => parseRevocationsQuery(new URLSearchParams('limit=101'))).toThrow('limit must be');
    expect(() => parseRevocationsQuery(new URLSearchParams('cursor=%%%'))).toThrow('cursor');
    expect(() =>
      parseRevocationsQuery(new URLSearchParams(`cursor=${Buffer.from('[1]').toString('base64url')}`)),
    ).toThrow('cursor');
  });
});

// ---------------------------------------------------------------------------------------------- end to end

describe('the local stack serves the dashboard', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      // Request log lines on: the leak guard checks them too.
      quiet: false,
      prefix: `dash${randomBytes(4).toString('hex')}`,
      env: { AWS_ENDPOINT_URL: emulatorEndpoint(), AWS_REGION: 'us-east-1' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  interface Answer {
    readonly ok: boolean;
    readonly authorizationUrl?: string;
    readonly accessToken?: string;
    readonly revoked?: number;
    readonly error?: { readonly code: string };
  }

  /** The Invoke API with plain fetch, as any HTTP client could. */
  async function invoke(name: string, payload: unknown): Promise<Answer> {
    const res = await fetch(`${stack.baseUrl}/2015-03-31/functions/${name}/invocations`, {
      method: 'POST',
      body: JSON.stringify(payload),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-function-error')).toBeNull();
    const answer = (await res.json()) as Answer;
    registerSensitive(answer.accessToken);
    return answer;
  }

  /**
   * connect -> provider -> callback -> complete (session binding); returns `connected` once completed, else the
   * callback's redirect status.
   */
  async function connect(userId: string, loginHint?: string): Promise<string | null> {
    const started = await invoke('connect', { userId, returnTo: `${stack.baseUrl}/connected` });
    expect(started.ok).toBe(true);
    const callbackUrl = await completeAuthorization(
      started.authorizationUrl ?? '',
      loginHint === undefined ? {} : { loginHint },
    );
    registerSensitive(
      callbackUrl.searchParams.get('code') ?? undefined,
      callbackUrl.searchParams.get('state') ?? undefined,
    );
    const res = await fetch(callbackUrl, { redirect: 'manual' });
    await res.arrayBuffer();
    const location = new URL(res.headers.get('location') ?? '/', stack.baseUrl);
    const flowHandle = location.searchParams.get('flow');
    if (location.searchParams.get('status') !== 'pending' || flowHandle === null)
      return location.searchParams.get('status');
    registerSensitive(flowHandle);
    const completed = await invoke('complete', { flowHandle, userId });
    return completed.ok ? 'connected' : 'not completed';
  }

  async function data(): Promise<DashboardData> {
    const res = await fetch(`${stack.baseUrl}/dashboard/data.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    return (await res.json()) as DashboardData;
  }

  const widget = (d: DashboardData, id: string): MetricWidgetData =>
    d.rows.flat().find((w) => w.id === id) as MetricWidgetData;
  const total = (line: LineData): number => line.values.reduce<number>((a, v) => a + (v ?? 0), 0);
  const peak = (line: LineData): number => Math.max(0, ...line.values.map((v) => v ?? 0));

  const users = {
    alice: `alice-${randomBytes(3).toString('hex')}`,
    bob: `bob-${randomBytes(3).toString('hex')}`,
    carol: `carol-${randomBytes(3).toString('hex')}`,
  };

  it('runs a lifecycle, and data.json draws it on the guide panels', async () => {
    expect(await connect(users.alice)).toBe('connected');
    expect(await connect(users.bob)).toBe('connected');
    // Carol says no at the provider; and a callback with a state nobody issued.
    expect(await connect(users.carol, 'deny')).not.toBe('connected');
    const forged = await fetch(
      `${stack.baseUrl}/oauth/callback?code=x&state=${randomBytes(32).toString('base64url')}`,
      { redirect: 'manual' },
    );
    await forged.arrayBuffer();

    for (let i = 0; i < 3; i += 1) expect((await invoke('token-fetch', { userId: users.alice })).ok).toBe(true);
    expect((await invoke('token-fetch', { userId: users.carol })).ok).toBe(false);
    expect((await invoke('refresh', { userId: users.bob })).ok).toBe(true);
    await stack.refreshWork.sweep();
    await stack.refreshWork.drain();
    expect(await invoke('revoke', { userId: users.alice, reason: 'user_disconnected' })).toEqual({
      ok: true,
      revoked: 1,
      providerPending: 0,
    });
    expect(await invoke('revoke', { userId: users.bob, reason: 'suspicious_activity' })).toEqual({
      ok: true,
      revoked: 1,
      providerPending: 0,
    });
    await stack.refreshWork.sweep();

    const d = await data();
    expect(d.applications).toEqual(['default']);
    for (const id of GUIDE_PANELS) {
      const lines = widget(d, id).lines;
      expect(lines.length).toBeGreaterThan(0);
      expect(Math.max(...lines.map(peak))).toBeGreaterThan(0);
    }
    expect(peak(widget(d, 'active-tokens').lines[0]!)).toBe(2);
    const labels = (id: string): Record<string, number> =>
      Object.fromEntries(widget(d, id).lines.map((l) => [l.label, total(l)]));
    expect(labels('refresh-frequency')).toEqual({ 'default refreshes: forced ok': 1 });
    expect(labels('failed-authentication')).toEqual({
      'default callback failures: denied': 1,
      'unknown callback failures: bad_state': 1,
    });
    expect(labels('revocations')).toEqual({
      'default revocations: user_disconnected': 1,
      'default revocations: suspicious_activity': 1,
    });
    // Three fetches and the forced refresh (answered like a fetch).
    expect(labels('token-fetches')).toEqual({ 'default fetches: ok': 4, 'default fetches: not_connected': 1 });
    expect(labels('connections')).toEqual({ 'default connected': 2, 'default reauthorization required': 0 });
    // The sweeps are refresh-sweep's (invoked by the schedule, here by the test), the refresh of bob's due token
    // the worker's.
    expect(labels('function-invocations')).toMatchObject({
      connect: 3,
      callback: 4,
      'token-fetch': 4,
      refresh: 1,
      'refresh-sweep': 2,
      revoke: 2,
    });
    expect(labels('function-errors')).toMatchObject({
      connect: 0,
      callback: 0,
      'token-fetch': 0,
      refresh: 0,
      revoke: 0,
    });
    expect(widget(d, 'fetch-latency').lines.map((l) => l.label)).toEqual(['default p50', 'default p99']);
    expect(widget(d, 'fetch-latency').lines.every((l) => l.values.some((v) => v !== null))).toBe(true);
    expect(widget(d, 'dead-letters')).toMatchObject({ awsOnly: true, lines: [] });
  });

  it('GET /revocations lists who, when and why, paged, without token material', async () => {
    const all = (await (await fetch(`${stack.baseUrl}/revocations`)).json()) as {
      records: Array<Record<string, unknown>>;
      cursor?: string;
    };
    expect(all.cursor).toBeUndefined();
    expect(all.records).toEqual([
      {
        userId: users.alice,
        applicationId: 'default',
        revokedAt: expect.any(String),
        reason: 'user_disconnected',
        providerConfirmed: true,
      },
      {
        userId: users.bob,
        applicationId: 'default',
        revokedAt: expect.any(String),
        reason: 'suspicious_activity',
        providerConfirmed: true,
      },
    ]);
    const first = (await (await fetch(`${stack.baseUrl}/revocations?limit=1`)).json()) as {
      records: unknown[];
      cursor?: string;
    };
    expect(first.records).toEqual([all.records[0]]);
    expect(first.cursor).toEqual(expect.any(String));
    const second = (await (await fetch(`${stack.baseUrl}/revocations?limit=1&cursor=${first.cursor}`)).json()) as {
      records: unknown[];
    };
    expect(second.records).toEqual([all.records[1]]);
    const bad = await fetch(`${stack.baseUrl}/revocations?cursor=nope!`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: 'cursor is not one this server handed out' });
    // A cursor is a key of the records index, nothing else.
    const key = JSON.parse(Buffer.from(first.cursor!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(key).sort()).toEqual(['applicationId', 'recordKind', 'recordedAt', 'userId']);
    const forged = await fetch(
      `${stack.baseUrl}/revocations?cursor=${Buffer.from(JSON.stringify({ ...key, userId: { S: 'x' } })).toString('base64url')}`,
    );
    expect(forged.status).toBe(400);
    await forged.arrayBuffer();
  });

  it('GET /dashboard is one self-contained page under a strict CSP', async () => {
    const res = await fetch(`${stack.baseUrl}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const w of widgetsOf(DASHBOARD)) expect(html).toContain(`data-widget="${w.id}"`);
    expect(html).toContain('href="/revocations"');
  });

  it('renders in headless Chromium with the guide panels drawn, and saves docs/dashboard.png', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: the dashboard test needs Debian's chromium (run \`bash scripts/setup-browser.sh\`, ` +
          'or `apt-get install chromium`, or set CHROMIUM_PATH).',
      );
    }
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
      });
      await page.goto(`${stack.baseUrl}/dashboard?refresh=1`);
      const widgets = widgetsOf(DASHBOARD);
      // Selectors only: the page's CSP refuses the eval behind page.waitForFunction.
      for (const w of widgets)
        await page.waitForSelector(`[data-widget="${w.id}"][data-ready="true"]`, { timeout: 15_000 });
      await page.waitForSelector('[data-table="revocations"][data-ready="true"]');

      for (const id of GUIDE_PANELS) {
        const section = page.locator(`[data-widget="${id}"]`);
        const title = DASHBOARD.rows[0]!.find((w) => w.id === id)!.title;
        expect(await section.getByRole('heading', { name: title }).isVisible()).toBe(true);
        expect(await section.locator('path.series-line').count()).toBeGreaterThan(0);
        expect(await section.locator('.legend li').count()).toBeGreaterThan(0);
      }
      expect(await page.locator('[data-widget="dead-letters"] .chart').textContent()).toContain('AWS only');
      expect(await page.locator('[data-widget="events-by-user"]').textContent()).toContain(
        'CloudWatch Logs Insights in AWS',
      );
      expect(await page.locator('[data-table="revocations"] tbody tr').count()).toBe(2);
      expect(await page.locator('[data-table="revocations"] tbody').textContent()).toContain(users.bob);

      // Auto-refresh: the page fetches data.json again by itself.
      const refreshes = Number(await page.locator('body').getAttribute('data-refreshes'));
      await page.waitForSelector(`body[data-refreshes="${refreshes + 1}"]`, { timeout: 5_000 });
      expect(problems).toEqual([]);

      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    } finally {
      await browser?.close();
    }
  });
});
