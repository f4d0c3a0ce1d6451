// API.md from the jsii assembly (jsii-docgen), the Construct Hub convention. In the npm workspace aws-cdk-lib and
// constructs are hoisted to the root node_modules, where the `jsii-docgen` CLI (which searches the package's own
// node_modules) can't find them, so the programmatic API searches from the workspace root.
// `node scripts/docgen.js [OUT]` writes OUT (default API.md); run `npm run build` first (it reads .jsii).
const { writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { Documentation, Language } = require('jsii-docgen');

const pkgDir = resolve(__dirname, '..');
const root = resolve(pkgDir, '..', '..');

async function main() {
  const { name } = require(join(pkgDir, 'package.json'));
  const docs = await Documentation.forAssembly(name, join(root, 'node_modules'));
  const markdown = await docs.toMarkdown({ language: Language.TYPESCRIPT, allSubmodules: true, readme: false });
  const out = process.argv[2] ?? join(pkgDir, 'API.md');
  writeFileSync(out, markdown.render());
  console.log(`docgen: wrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
