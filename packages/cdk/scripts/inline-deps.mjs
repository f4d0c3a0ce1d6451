// After jsii: the modules of lib/ that import a bundled-only dependency (zod, used by the shared application schema)
// are rebuilt from their TypeScript source with that dependency inlined (esbuild), relative imports kept as
// requires. npm does not keep `bundledDependencies` of a workspace package in its tarball (npm/cli#3466), so the
// package must not need zod installed: lib/ requires only aws-cdk-lib, constructs and Node's own modules (a test
// checks it).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const INLINED = /require\("(zod)(\/[^"]*)?"\)/;

function* jsFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* jsFiles(path);
    else if (name.endsWith('.js')) yield path;
  }
}

const keepRelative = (entry) => ({
  name: 'keep-relative',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === 'entry-point' || args.importer !== entry ? undefined : { path: args.path, external: true },
    );
  },
});

let rebuilt = 0;
for (const file of jsFiles(join(pkg, 'lib'))) {
  if (!INLINED.test(readFileSync(file, 'utf8'))) continue;
  const source = join(pkg, 'src', relative(join(pkg, 'lib'), file)).replace(/\.js$/, '.ts');
  await build({
    entryPoints: [source],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    plugins: [keepRelative(source)],
  });
  rebuilt++;
  console.log(`inline-deps: ${relative(pkg, file)} (zod inlined)`);
}
console.log(`inline-deps: ${rebuilt} module(s) rebuilt`);
