#!/usr/bin/env bash
# Builds every binary once, in release: the services, the simulators,
# shop-load, the chaos runner, proxy and bench, the invariant checker, the
# benchmarks; then they run from target/release. scripts/up.sh and
# scripts/bench.sh build the same set, so after any of the three the others
# compile nothing.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
build_release_set release
