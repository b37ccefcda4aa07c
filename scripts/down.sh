#!/usr/bin/env bash
# Stops the stack; extra arguments go to `compose down` (e.g. -v drops the data).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
compose --profile ui --profile tools down --remove-orphans "$@"
