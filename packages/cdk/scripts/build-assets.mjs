// Prebuilds the five handlers into assets/<function name>/index.js (+ .map) with esbuild, from the shared
// BUNDLING definition: CommonJS for node24, minified, ESM main fields, a linked source map without sources.
// Everything the handlers load is bundled, the AWS SDK's credential providers included: the default credential
// chain loads them with import(), which the Lambda runtime resolves from the bundle's folder only (ESM resolution
// ignores NODE_PATH), so "left to the runtime's SDK" would fail wherever the chain reaches them.
import { rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { FUNCTIONS, BUNDLING } = require(join(pkg, 'lib', 'definitions', 'functions.js'));

const started = Date.now();
rmSync(join(pkg, 'assets'), { recursive: true, force: true });
for (const definition of Object.values(FUNCTIONS)) {
  const outfile = join(pkg, 'assets', definition.name, 'index.js');
  await build({
    entryPoints: [join(pkg, definition.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    mainFields: [...BUNDLING.mainFields],
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    absWorkingDir: pkg,
  });
  console.log(`build-assets: ${definition.name} ${(statSync(outfile).size / 1024).toFixed(1)} KB`);
}
console.log(`build-assets: ${Object.keys(FUNCTIONS).length} functions in ${Date.now() - started} ms`);
