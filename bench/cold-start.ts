/**
 * Cold start per function: the bundle infra deploys (esbuild with BUNDLING) and, as the "off" side, the same
 * entry bundled without BUNDLING's size work (unminified, esbuild's default main fields: the SDK's CommonJS
 * builds). Each bundle is loaded in fresh `node --enable-source-maps` processes (as Lambda runs them), which
 * time the module load (require) and the first invocation of the handler against the local stack; median of
 * RUNS processes.
 */
import { cpus, loadavg } from 'node:os';
import { FUNCTIONS, type FunctionKey } from '@token-vault/cdk/src/definitions/functions';
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { join, relative } from 'node:path';
import { bundle, CDK_PACKAGE_ROOT, REPO_ROOT } from './bundle';
import { childEnv, runChild } from './child';
import { percentile, type Figure, type Section } from './report';
import type { BenchStack } from './stack';

const RUNS = 7;
const COLD_USER = 'cold-start-user';

/** What each child does: load the bundle, invoke once (and once more, warm), print the times. */
const CHILD = `
const { performance } = require('node:perf_hooks');
const t0 = performance.now();
const m = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
// As in Lambda: each invocation's remaining time counts down from the function's timeout.
const context = () => {
  const end = Date.now() + Number(process.env.BENCH_TIMEOUT_MS);
  return { functionName: 'bench', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
    memoryLimitInMB: '256', awsRequestId: 'bench', logGroupName: 'bench', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
};
(async () => {
  const event = JSON.parse(process.env.BENCH_EVENT);
  const first = await m.handler(event, context());
  const t2 = performance.now();
  await m.handler(event, context());
  const t3 = performance.now();
  process.stdout.write('\\nBENCH_RESULT ' + JSON.stringify({ loadMs: t1 - t0, firstMs: t2 - t1, warmMs: t3 - t2, answer: JSON.stringify(first).slice(0, 120) }) + '\\n');
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`;

const EVENTS: Record<FunctionKey, unknown> = {
  connect: { userId: 'cold-start-connect', applicationId: 'default' },
  callback: {
    version: '2.0',
    routeKey: 'GET /oauth/callback',
    rawPath: '/oauth/callback',
    rawQueryString: 'code=bench-code&state=bench-state-that-does-not-exist-000000000',
    headers: {},
    requestContext: {
      http: { method: 'GET', path: '/oauth/callback', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench',
    },
    isBase64Encoded: false,
  },
  tokenFetch: { userId: COLD_USER, applicationId: 'default' },
  refresh: { userId: COLD_USER, applicationId: 'default' },
  revoke: { userId: 'cold-start-nobody', reason: 'user_disconnected' },
  sweep: { sweep: true },
  refreshWorker: {
    Records: [{ messageId: 'cold-start-1', body: JSON.stringify({ v: 1, k: 'r', u: COLD_USER, a: 'default', d: 0 }) }],
  },
  status: { userId: COLD_USER },
  importConnection: {
    userId: COLD_USER,
    refreshToken: 'cold-start-not-a-token',
    validate: false,
    accessToken: 'cold-start-not-a-token',
    expiresAt: '2000-01-01T00:00:00Z',
  },
  complete: { flowHandle: 'cold-start-unknown-flow-handle-000000000000', userId: 'cold-start-nobody' },
  auditForwarder: {},
};

/**
 * Function environment added per function: refresh's first call refreshes the token connected (or refreshed)
 * seconds before, which the minimum interval between forced refreshes would answer from the stored token.
 */
const EXTRA_ENV: Partial<Record<FunctionKey, Record<string, string>>> = {
  refresh: { [TUNABLES.forcedRefreshMinIntervalSeconds.env]: '0' },
  auditForwarder: { TOKEN_VAULT_AUDIT_LOG_GROUP: 'bench-audit' },
};

/** What the first invocation exercises, per function (for the notes). */
const FIRST_CALL: Record<FunctionKey, string> = {
  connect: 'writes a state',
  callback: 'unknown state: one DynamoDB call, error page',
  tokenFetch: 'GetItem + KMS Decrypt',
  refresh: 'on-demand refresh of a connected user',
  revoke: 'user without connections: one Query',
  sweep: 'queue depth, 8 index Queries, gauges',
  refreshWorker: 'one record of a connection not due: one read',
  status: 'one projected Query',
  importConnection: 'active connection: refused after one GetItem',
  complete: 'unknown flow handle: one DynamoDB call',
  auditForwarder: 'no delivery: nothing to forward',
};

interface ChildResult {
  loadMs: number;
  firstMs: number;
  warmMs: number;
  answer: string;
}

export async function measureColdStart(stack: BenchStack): Promise<Section> {
  await stack.connectUser(COLD_USER);
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const key of Object.keys(FUNCTIONS) as FunctionKey[]) {
    const fn = FUNCTIONS[key];
    const entry = relative(REPO_ROOT, join(CDK_PACKAGE_ROOT, fn.entry));
    const deployed = await bundle(entry, fn.name, true);
    const plain = await bundle(entry, fn.name, false);
    const runs = { on: [] as ChildResult[], off: [] as ChildResult[] };
    // Alternating, so that drift of the machine affects both alike.
    for (let i = 0; i < RUNS; i++) {
      for (const [side, file] of [
        ['on', deployed.file],
        ['off', plain.file],
      ] as const) {
        const env = childEnv(stack.env, {
          BENCH_BUNDLE: file,
          BENCH_EVENT: JSON.stringify(EVENTS[key]),
          BENCH_TIMEOUT_MS: String(fn.timeoutSeconds * 1000),
          ...EXTRA_ENV[key],
        });
        runs[side].push(await runChild<ChildResult>(['--enable-source-maps', '-e', CHILD], env));
      }
    }
    const median = (side: 'on' | 'off', pick: (r: ChildResult) => number) => percentile(runs[side].map(pick), 50);
    const init = (r: ChildResult) => r.loadMs + r.firstMs;
    const isTokenFetch = key === 'tokenFetch';
    figures.push(
      {
        label: `${fn.name}: bundle size (KB)`,
        on: deployed.bytes / 1024,
        off: plain.bytes / 1024,
        digits: 1,
        ...(isTokenFetch ? { target: '< 500 KB', met: deployed.bytes < 500 * 1024 } : {}),
      },
      {
        label: `${fn.name}: module load (ms, median)`,
        on: median('on', (r) => r.loadMs),
        off: median('off', (r) => r.loadMs),
        digits: 1,
      },
      {
        label: `${fn.name}: first invocation (ms, median)`,
        on: median('on', (r) => r.firstMs),
        off: median('off', (r) => r.firstMs),
        digits: 1,
      },
      {
        label: `${fn.name}: second invocation (ms, median)`,
        on: median('on', (r) => r.warmMs),
        off: median('off', (r) => r.warmMs),
        digits: 1,
      },
      {
        label: `${fn.name}: initialisation = load + first (ms, median)`,
        on: median('on', init),
        off: median('off', init),
        digits: 1,
        target: '< 100 ms',
        met: median('on', init) < 100,
      },
    );
    notes.push(
      `cold start ${fn.name}: first invocation ${FIRST_CALL[key]}; answer ${runs.on[0]!.answer.replace(/"accessToken":"[^"]*"/, '"accessToken":"…"')}`,
    );
  }
  notes.push(
    `cold start: ${RUNS} fresh \`node --enable-source-maps\` processes per bundle and side, median; times start at require() (Node.js's own ` +
      "start-up, about 40 ms here, and Lambda's runtime bootstrap are not included). The first invocation includes the SDK clients' " +
      'creation, credential and endpoint resolution, and its AWS calls to moto on loopback (no TLS; in AWS, TLS handshakes add to it).',
  );
  notes.push(
    `cold start: load average while measuring ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')} (1/5/15 min) on ${cpus().length} cores.`,
  );
  return {
    title: 'cold start per function (esbuild with BUNDLING, platform node, format cjs, everything bundled)',
    off: 'BUNDLING size work: unminified, default main fields (SDK CommonJS builds)',
    figures,
    notes,
  };
}
