/**
 * packages/cdk/API.md, the construct library's API reference (the Construct Hub convention), is generated from the
 * TSDoc through the jsii assembly (`npm run docgen`, after `npm run build`) and checked in; it must be current.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CDK_PACKAGE = join(__dirname, '..', '..', 'packages', 'cdk');

it('API.md is what jsii-docgen makes of the current assembly (regenerate: npm run docgen)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'token-vault-docgen-'));
  try {
    const out = join(dir, 'API.md');
    execFileSync(process.execPath, [join(CDK_PACKAGE, 'scripts', 'docgen.js'), out], {
      env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
      stdio: 'pipe',
    });
    expect(readFileSync(join(CDK_PACKAGE, 'API.md'), 'utf8') === readFileSync(out, 'utf8')).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

it('documents the construct and every prop of its applications', () => {
  const api = readFileSync(join(CDK_PACKAGE, 'API.md'), 'utf8');
  for (const name of [
    'TokenVault',
    'TokenVaultProps',
    'TokenVaultApplication',
    'VaultFunctions',
    'TokenEndpointAuth',
    'grantFetch',
    'revokeReplacedRefreshTokens',
  ]) {
    expect(api).toContain(name);
  }
});
