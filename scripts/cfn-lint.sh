#!/usr/bin/env bash
# Lints CloudFormation templates with the pinned cfn-lint (scripts/requirements.txt, installed into ./.venv by
# scripts/setup-python.sh).
#   scripts/cfn-lint.sh                      synthesizes the CDK app into a temporary directory, lints every template
#   scripts/cfn-lint.sh a.template.json ...  lints the given templates
# Fails on any error or warning, except W3005: CDK writes an explicit DependsOn on a function's execution role next
# to the GetAtt of that role, which cfn-lint reports as redundant (harmless; not ours to change).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-python.sh"
cfn_lint="$root/.venv/bin/cfn-lint"

templates=("$@")
if [ "${#templates[@]}" -eq 0 ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  (cd "$root" && npx cdk synth --quiet --no-notices -o "$out" >&2)
  shopt -s nullglob
  templates=("$out"/*.template.json)
  if [ "${#templates[@]}" -eq 0 ]; then
    echo "cfn-lint.sh: cdk synth wrote no templates to $out" >&2
    exit 1
  fi
fi

"$cfn_lint" --ignore-checks W3005 -- "${templates[@]}"
echo "cfn-lint: ${#templates[@]} template(s), no findings" >&2
