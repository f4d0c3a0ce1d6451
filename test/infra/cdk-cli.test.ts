/**
 * `npx cdk synth` as a new user runs it on a fresh clone: the real CLI and cdk.json, no context, no AWS
 * credentials or configuration (empty HOME, instance metadata off). The templates it writes then go through
 * cfn-lint, and its validation report must be clean.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cfnLint, readValidationReport, REPOSITORY_ROOT } from './support/synth';

describe('cdk synth (CLI, no AWS account)', () => {
  let scratch: string;
  let outdir: string;
  let result: SpawnSyncReturns<string>;

  afterAll(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'token-vault-cli-'));
    outdir = path.join(scratch, 'cdk.out');
    const home = path.join(scratch, 'home');
    fs.mkdirSync(home);
    // Only what a shell needs: no AWS_* variable (the test run's emulator settings included), no profile files.
    const env = { PATH: process.env.PATH ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true', CI: 'true' };
    result = spawnSync(
      path.join(REPOSITORY_ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '--no-notices', '-o', outdir],
      {
        cwd: REPOSITORY_ROOT,
        env,
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
  }, 300_000);

  it('succeeds and writes the data and service templates', () => {
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    const templates = fs
      .readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .sort();
    expect(templates).toEqual(['TokenVault-Data.template.json', 'TokenVault-Service.template.json']);
  });

  it('says which configuration it used and prints no warning', () => {
    expect(result.stderr).toContain('using the example configuration');
    expect(result.stderr).not.toMatch(/\bwarning\b/i);
  });

  it('reports no validation finding (cdk-nag runs inside the app)', () => {
    expect(readValidationReport(outdir).pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  it('writes templates cfn-lint accepts', () => {
    const templates = fs
      .readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => path.join(outdir, f));
    const lint = cfnLint(templates);
    expect(lint.output).toContain('cfn-lint: 2 template(s), no findings');
    expect(lint.status).toBe(0);
  });
});
