// Builds @token-vault/client: lib/index.{cjs,mjs}, lib/contract.{cjs,mjs} and lib/retry-after.{cjs,mjs} (esbuild,
// each entry one file, @aws-sdk/client-lambda left to the consumer's install), and the declarations (tsc). The
// contract and retry-after entries have no dependency at all, so the vault's functions bundle them without pulling
// the Lambda client in.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
rmSync(join(pkg, 'lib'), { recursive: true, force: true });
for (const entry of ['index', 'contract', 'retry-after']) {
  for (const [format, ext] of [
    ['cjs', 'cjs'],
    ['esm', 'mjs'],
  ]) {
    await build({
      entryPoints: [join(pkg, 'src', `${entry}.ts`)],
      outfile: join(pkg, 'lib', `${entry}.${ext}`),
      bundle: true,
      platform: 'node',
      format,
      target: 'node20',
      external: ['@aws-sdk/client-lambda'],
      logLevel: 'warning',
    });
  }
}
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.json')], {
  stdio: 'inherit',
});
console.log('@token-vault/client built into lib/');
