/**
 * The cold-start bench's machinery: the CPU quota for a memory size, the cgroup it is written to (a stand-in
 * directory here, and the real cgroup v1 `cpu` controller when this machine lets us create one), and the runtime
 * emulation (bootstrap.cjs against the Runtime API stand-in). Runs without root: CI machines may have no cgroup rights.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCpuShare, quotaFor, shareOfMemory } from '../../bench/cold/cgroup';
import { runCold } from '../../bench/cold/runner';
import { startRuntimeApi, type RuntimeApi } from '../../bench/cold/runtime-api';

describe('CPU share of a memory size', () => {
  it('is memory / 1769 MB of one CPU, and a full CPU above', () => {
    expect(shareOfMemory(256)).toBeCloseTo(0.1447, 4);
    expect(shareOfMemory(3008)).toBe(1);
    expect(quotaFor(shareOfMemory(256), 10_000)).toEqual({ periodUs: 10_000, quotaUs: 1447 });
    expect(quotaFor(1, 10_000)).toEqual({ periodUs: 10_000, quotaUs: 10_000 });
  });

  it('stretches the period, same ratio, where the quota would fall under the kernel minimum of 1 ms', () => {
    const q = quotaFor(shareOfMemory(128), 10_000);
    expect(q.quotaUs).toBeGreaterThanOrEqual(1000);
    expect(q.periodUs).toBeGreaterThan(10_000);
    expect(q.quotaUs / q.periodUs).toBeCloseTo(128 / 1769, 3);
  });
});

describe('cgroup', () => {
  it('says why when there is no cpu controller (the bench then measures at full CPU)', () => {
    const share = openCpuShare({ periodUs: 10_000, root: join(tmpdir(), 'no-such-cgroup-root') });
    expect(share.available).toBe(false);
    expect(!share.available && share.reason).toMatch(/no cgroup v1 cpu controller/);
  });

  it('writes period and quota, and puts the child in the group before its command starts (stand-in directory)', () => {
    const root = mkdtempSync(join(tmpdir(), 'tv-cgroup-'));
    writeFileSync(join(root, 'cpu.cfs_quota_us'), '-1');
    const share = openCpuShare({ periodUs: 10_000, root, name: 'child' });
    if (!share.available) throw new Error(share.reason);
    expect(share.limit(0.5)).toEqual({ periodUs: 10_000, quotaUs: 5000 });
    expect(readFileSync(join(share.dir, 'cpu.cfs_period_us'), 'utf8')).toBe('10000');
    expect(readFileSync(join(share.dir, 'cpu.cfs_quota_us'), 'utf8')).toBe('5000');
    expect(Number(readFileSync(join(share.dir, 'cpu.shares'), 'utf8'))).toBeGreaterThan(1024);
    const { command, args } = share.wrap('/bin/sh', ['-c', 'echo $$']);
    const child = spawnSync(command, args, { encoding: 'utf8' });
    expect(child.status).toBe(0);
    // exec keeps the pid: the pid written to cgroup.procs is the command's own.
    expect(readFileSync(join(share.dir, 'cgroup.procs'), 'utf8').trim()).toBe(child.stdout.trim());
  });

  it('limits a real child when this machine has a writable cgroup v1 cpu controller', () => {
    const share = openCpuShare({ periodUs: 10_000, name: `tv-test-${process.pid}` });
    if (!share.available) {
      // Not root or no v1 controller (most CI machines): the bench notes it and falls back; nothing more to check.
      expect(share.reason).toMatch(/cgroup/);
      return;
    }
    try {
      share.limit(shareOfMemory(256));
      const { command, args } = share.wrap('/bin/cat', ['/proc/self/cgroup']);
      const child = spawnSync(command, args, { encoding: 'utf8' });
      expect(child.stdout).toMatch(new RegExp(`cpu[^:]*:/tv-test-${process.pid}$`, 'm'));
      expect(readFileSync(join(share.dir, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('1447');
    } finally {
      share.close();
    }
  });
});

describe('runtime emulation', () => {
  let api: RuntimeApi;
  let dir: string;
  beforeAll(async () => {
    api = await startRuntimeApi();
    dir = mkdtempSync(join(tmpdir(), 'tv-bootstrap-'));
    writeFileSync(
      join(dir, 'echo.js'),
      'exports.handler = async (event, context) => ({ event, remaining: context.getRemainingTimeInMillis(), memory: context.memoryLimitInMB });',
    );
    writeFileSync(join(dir, 'fail.js'), "exports.handler = async () => { throw new Error('handler failed'); };");
  });
  afterAll(() => api.close());

  const env = (warm: number) => ({
    PATH: process.env.PATH,
    AWS_LAMBDA_RUNTIME_API: api.address,
    AWS_LAMBDA_FUNCTION_NAME: 'echo',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    BENCH_WARM: String(warm),
    BENCH_PAUSE_MS: '1',
  });
  const fullCpu = { available: false, reason: 'test' } as const;

  it('loads the bundle, takes the event from the Runtime API and posts the answer, then the warm invocations', async () => {
    api.serve(JSON.stringify({ userId: 'u1' }), 20_000);
    const run = await runCold({ node: process.execPath, bundle: join(dir, 'echo.js'), env: env(3), cpu: fullCpu });
    const answer = JSON.parse(run.answer) as { event: unknown; remaining: number; memory: string };
    expect(answer.event).toEqual({ userId: 'u1' });
    expect(answer.remaining).toBeGreaterThan(15_000);
    expect(answer.remaining).toBeLessThanOrEqual(20_000);
    expect(answer.memory).toBe('512');
    expect(run.warmMs).toHaveLength(3);
    expect(run.firstAnswerMs).toBeCloseTo(run.bootMs + run.loadMs + run.firstMs, 6);
    expect(api.takeErrors()).toEqual([]);
  });

  it('posts a handler error to the Runtime API and fails the run', async () => {
    api.serve('{}', 3000);
    await expect(
      runCold({ node: process.execPath, bundle: join(dir, 'fail.js'), env: env(0), cpu: fullCpu }),
    ).rejects.toThrow(/handler failed/);
    expect(api.takeErrors()).toEqual([expect.stringContaining('handler failed')]);
  });
});
