#!/usr/bin/env bash
# Runs the whole test suite: makes sure the images the tests start exist
# (built locally where no registry answers), then `cargo test --workspace`.
# Extra arguments go to cargo test.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/images.sh"
select_images
# The tests share reused Postgres and RabbitMQ containers; remove them when done.
trap 'docker rm -f -v testbed-test-postgres testbed-test-rabbitmq >/dev/null 2>&1 || true' EXIT
cd "$REPO_ROOT"
cargo test --workspace --locked "$@"
