/**
 * Bundles an entry the way infra/ deploys the functions (esbuild with BUNDLING, platform node, CommonJS, an
 * external source map without sources, as NodejsFunction does), or, for the "off" side of the cold-start
 * figures, without BUNDLING's size work: unminified and with esbuild's default main fields (the SDK's CommonJS
 * builds). Bundles go to bench/out/bundles/, where the BUNDLING externals resolve from the repository's
 * node_modules as they resolve from the Lambda runtime's SDK in AWS.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING } from '../functions/definitions/functions';

export const REPO_ROOT = resolve(__dirname, '..');
const OUT = join(__dirname, 'out', 'bundles');

export interface Bundle {
  readonly file: string;
  readonly bytes: number;
}

/** `deployed: true`: BUNDLING exactly; false: no minification, default main fields (same externals). */
export async function bundle(entry: string, name: string, deployed: boolean): Promise<Bundle> {
  const file = join(OUT, `${name}${deployed ? '' : '.unminified'}.js`);
  await build({
    entryPoints: [resolve(REPO_ROOT, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLING.target,
    external: [...BUNDLING.externalModules],
    sourcemap: 'external',
    sourcesContent: false,
    logLevel: 'warning',
    ...(deployed ? { minify: BUNDLING.minify, mainFields: [...BUNDLING.mainFields] } : { minify: false }),
  });
  return { file, bytes: statSync(file).size };
}
