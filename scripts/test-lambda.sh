#!/usr/bin/env bash
# `npm run test:lambda`: the code that runs in Lambda, tested on Lambda's Node.js major as Lambda loads it. Jest runs
# on Node 24 (scripts/setup-node24.sh) the functions' suites (test/functions/) with every handler loaded from
# @token-vault/cdk's prebuilt bundles (packages/cdk/assets/<function>/index.js, TOKEN_VAULT_TEST_BUNDLES in
# test/support/vault.ts), plus the bundle checks of test/lambda/. `--experimental-vm-modules` lets Jest run the
# dynamic import() calls left in the bundles (the main run, which loads the handlers from their TypeScript sources
# on the tooling's Node, needs it off, hence a run of its own). Run `npm run build` first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
node24="$(bash scripts/setup-node24.sh)"
if [ ! -f packages/cdk/assets/token-fetch/index.js ]; then
  echo "test-lambda: packages/cdk/assets is missing; run npm run build first" >&2
  exit 1
fi
echo "test-lambda: $("$node24" --version), handlers from packages/cdk/assets" >&2
TOKEN_VAULT_TEST_BUNDLES=packages/cdk/assets NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules" \
  exec "$node24" node_modules/jest/bin/jest.js -c jest.lambda.config.js "$@"
