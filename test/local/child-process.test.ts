import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('terminate', () => {
  it('waits for an unreferenced child that ignores SIGTERM, killing it after the grace time', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures/terminate-unref.ts')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('stopped SIGKILL\n');
  });

  it('gives up on a child that outlives SIGKILL: the stop rejects and the process ends instead of hanging', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures/terminate-stuck.ts')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.signal).toBeNull();
    expect(run.stdout).toBe('rejected: child process N was still running N ms after SIGKILL; left behind\n');
  });
});
