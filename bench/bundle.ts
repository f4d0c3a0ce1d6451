/**
 * Bundles an entry the way @token-vault/cdk's build bundles the functions it ships (esbuild with BUNDLING,
 * platform node, CommonJS, a linked source map without sources: packages/cdk/scripts/build-assets.mjs), or,
 * for the "off" side of the cold-start figures, without BUNDLING's size work: unminified and with esbuild's
 * default main fields (the SDK's CommonJS builds). Bundles go to bench/out/bundles/; like the package's assets,
 * they hold everything they load (the SDK's credential providers included).
 */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING } from '@token-vault/cdk/src/definitions/functions';

export const REPO_ROOT = resolve(__dirname, '..');
/** The @token-vault/cdk package: function entries (FUNCTIONS[...].entry) are relative to it. */
export const CDK_PACKAGE_ROOT = dirname(require.resolve('@token-vault/cdk/package.json'));
const OUT = join(__dirname, 'out', 'bundles');

export interface Bundle {
  readonly file: string;
  readonly bytes: number;
}

/** `entry`: a path relative to the repository. `deployed: true`: BUNDLING exactly; false: no minification, default main fields. */
export async function bundle(entry: string, name: string, deployed: boolean): Promise<Bundle> {
  const file = join(OUT, `${name}${deployed ? '' : '.unminified'}.js`);
  await build({
    entryPoints: [resolve(REPO_ROOT, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLING.target,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    ...(deployed ? { minify: BUNDLING.minify, mainFields: [...BUNDLING.mainFields] } : { minify: false }),
  });
  return { file, bytes: statSync(file).size };
}
