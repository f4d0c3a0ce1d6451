#!/usr/bin/env bash
# Scans CloudFormation templates with the pinned checkov (scripts/requirements.txt, ./.venv) and the
# acknowledgements in scripts/checkov.yaml. Offline: no download of policies or guidelines.
#   scripts/checkov.sh a.template.json ...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-python.sh"
args=()
for template in "$@"; do args+=(-f "$template"); done
# BC_SKIP_MAPPING: don't fetch the Prisma Cloud guideline mappings (no network here, nor wanted).
BC_SKIP_MAPPING=TRUE CHECKOV_NO_PROGRESS_BAR=1 "$root/.venv/bin/checkov" --config-file "$root/scripts/checkov.yaml" "${args[@]}"
