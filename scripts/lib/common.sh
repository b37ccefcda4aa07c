# Sourced by the scripts: repository root, logging, the compose command.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT
COMPOSE_FILE_PATH="$REPO_ROOT/docker-compose.observability.yml"
COMPOSE_PROJECT="${COMPOSE_PROJECT_NAME:-testbed}"
# The shop's images, one per service and tool (deploy/images/shop/): the
# services (services/<name>), the simulators and the chaos proxy, each
# binary installed as shop-<name>; the tools keep their binary's name. The
# chaos runner, shop-load and the benchmarks are built in the same cargo
# invocation as the rest (one feature set of the shared crates), so that no
# command compiles the workspace a second time.
SHOP_SERVICES=(web gateway auth users catalog inventory orders payments notifications)
SHOP_SIMULATORS=(payment-provider email-api chaos-proxy)
SHOP_TOOLS=(shop-invariants shop-load chaos)
# image name -> its binary, for the tools (the others are shop-<image>).
declare -A TOOL_IMAGES=([invariants]=shop-invariants [shop-load]=shop-load [chaos]=chaos)
SHOP_TOOL_CRATES=(simulators invariants chaos loadtests bench)

# Builds every binary of the release set in one invocation (`$1`: the cargo
# profile, release by default). Every script and document uses this set:
# another set would be another feature set, and a second build of it all.
build_release_set() {
  local packages=()
  for crate in "${SHOP_SERVICES[@]}" "${SHOP_TOOL_CRATES[@]}"; do packages+=(-p "$crate"); done
  log "cargo build --profile ${1:-release} ${packages[*]}"
  (cd "$REPO_ROOT" && cargo build --locked --profile "${1:-release}" "${packages[@]}" --bins)
}

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }

# missing_packages COMMAND:PACKAGE ...: the packages whose command is missing.
missing_packages() {
  local tool
  for tool in "$@"; do
    command -v "${tool%%:*}" >/dev/null || printf '%s\n' "${tool#*:}"
  done
}

# ensure_pypi_tools COMMAND:PACKAGE ...: installs (pip) what is missing.
ensure_pypi_tools() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} (pip)"
    python3 -m pip install --quiet "${missing[@]}"
  fi
}

# ensure_debian_packages COMMAND:PACKAGE ...: installs (apt-get) what is missing.
ensure_debian_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} (apt-get)"
    # Package lists may be missing or stale on a fresh machine: refresh once when the install fails.
    apt_install "${missing[@]}" || { apt-get update -qq && apt_install "${missing[@]}"; }
  fi
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@" >/dev/null
}

# `docker compose` (v2) where installed, `docker-compose` (1.29) otherwise.
# The profiles are the caller's (--profile ui where a registry answers), not
# the repository's .env (which turns the UI on for `docker compose up`).
compose() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE_PROFILES="" docker compose -p "$COMPOSE_PROJECT" -f "$COMPOSE_FILE_PATH" "$@"
  else
    COMPOSE_PROFILES="" docker-compose -p "$COMPOSE_PROJECT" -f "$COMPOSE_FILE_PATH" "$@"
  fi
}

# Cargo from rustup, also in shells that did not source its env.
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
  # shellcheck disable=SC1091
  source "$HOME/.cargo/env"
fi
