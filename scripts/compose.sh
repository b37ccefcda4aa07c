#!/usr/bin/env bash
# `docker compose` for this stack, e.g. `scripts/compose.sh logs -f gateway`.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
compose "$@"
