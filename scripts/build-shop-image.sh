#!/usr/bin/env bash
# Builds testbed/shop:latest from binaries compiled on this machine.
# SHOP_PROFILE=release (default) or dev: dev reuses a test build's artefacts.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/images.sh"
[ -n "${SHOP_BASE_IMAGE:-}" ] || select_images

profile="${SHOP_PROFILE:-release}"
target_dir="$REPO_ROOT/target/$([ "$profile" = dev ] && echo debug || echo "$profile")"
build_release_set "$profile"

context="$REPO_ROOT/target/shop-image"
rm -rf "$context" && mkdir -p "$context"
for s in "${SHOP_SERVICES[@]}"; do cp "$target_dir/$s" "$context/shop-$s"; done
for t in "${SHOP_TOOLS[@]}"; do cp "$target_dir/$t" "$context/shop-${t#shop-}"; done
cp "$REPO_ROOT/deploy/images/shop/Dockerfile.prebuilt" "$context/Dockerfile"
log "docker build ${SHOP_IMAGE:-testbed/shop:latest} on $SHOP_BASE_IMAGE"
docker build -q --build-arg BASE_IMAGE="$SHOP_BASE_IMAGE" -t "${SHOP_IMAGE:-testbed/shop:latest}" "$context" >/dev/null
