#!/usr/bin/env bash
# Runs the order flow's invariant checker against the running stack; exits
# non-zero when it finds a violation. Arguments go to shop-invariants (--json).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
compose --profile tools run --rm --no-deps invariants shop-invariants "$@"
