#!/usr/bin/env bash
# Installs Lambda's Node.js major (the functions run on nodejs24.x) into the project-local cache ./.cache/node24/
# from the npm registry's prebuilt Node packages (node-linux-<arch>), for `npm run test:lambda`. Never a dependency
# of the project: the package's `node` bin would shadow the Node.js that runs npm. Quick when already installed.
#
# Progress goes to stderr; stdout gets the absolute path of the node binary.
set -euo pipefail

VERSION=24.22.3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.cache/node24"

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "setup-node24: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
package="node-linux-$arch"
bin="$prefix/node_modules/$package/bin/node"

if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "v$VERSION" ]; then
  echo "setup-node24: installing $package@$VERSION into $prefix" >&2
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # A package.json of its own, so that npm installs here and not into the enclosing workspace.
  echo '{ "private": true, "description": "Lambda'"'"'s Node.js for npm run test:lambda (scripts/setup-node24.sh)" }' >"$prefix/package.json"
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$package@$VERSION" >&2
fi
"$bin" --version >/dev/null
echo "$bin"
