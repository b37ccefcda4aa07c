#!/usr/bin/env bash
# Runs the whole test suite: makes sure the images the tests start exist
# (built locally where no registry answers), then `cargo test --workspace`.
# Every test binary runs even after a failure (--no-fail-fast); the run ends
# with the list of every failed test, so one red test does not hide the rest.
# Extra arguments go to cargo test.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/images.sh"
select_images
# Tools from PyPI that tests run: the Kubernetes schema validator
# (tests/tests/kubernetes.rs), the OpenAPI validator and the API fuzzer
# (tests/tests/api_fuzz.rs). Those tests fail, not skip, without them.
ensure_pypi_tools kubernetes-validate:kubernetes-validate openapi-spec-validator:openapi-spec-validator st:schemathesis
# The storefront's browser tests (tests/tests/web.rs) drive headless
# Chromium through chromedriver, both from Debian's packages (or the Chrome
# and chromedriver a CI runner already has).
command -v google-chrome >/dev/null || ensure_debian_packages chromium:chromium
ensure_debian_packages chromedriver:chromium-driver
# Their accessibility audit runs axe-core, as PyPI's axe-playwright-python
# ships it (its axe.min.js only: Playwright itself is not needed).
python3 -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("axe_playwright_python") is None)' \
  || python3 -m pip install --quiet --no-deps axe-playwright-python
# The tests share reused Postgres and RabbitMQ containers; remove them when done.
trap 'docker rm -f -v testbed-test-postgres testbed-test-rabbitmq >/dev/null 2>&1 || true' EXIT
cd "$REPO_ROOT"
log_file="$(mktemp -t testbed-tests.XXXXXX)"
status=0
# pipefail: the status is cargo's.
cargo test --workspace --locked --no-fail-fast "$@" 2>&1 | tee "$log_file" || status=$?
if [ "$status" -ne 0 ]; then
  printf '\n=== failed tests (full log: %s) ===\n' "$log_file" >&2
  # libtest prints "test <name> ... FAILED" for each; cargo names the binaries.
  grep -E '^test .* \.\.\. FAILED$|^error: .*(test|target)s? failed|^    `-p ' "$log_file" >&2 || true
  exit "$status"
fi
rm -f "$log_file"
