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
});
