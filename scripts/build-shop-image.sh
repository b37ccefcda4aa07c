#!/usr/bin/env bash
# Builds the shop's images, one per service and tool (testbed/gateway,
# testbed/orders, ..., testbed/chaos-proxy, testbed/shop-load), from
# binaries compiled on this machine: the targets of
# deploy/images/shop/Dockerfile.prebuilt on one shared runtime layer.
# SHOP_PROFILE=release (default) or dev: dev reuses a test build's artefacts.
# SHOP_REGISTRY (default testbed) and SHOP_TAG (default latest) name them.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/images.sh"
[ -n "${SHOP_BASE_IMAGE:-}" ] || select_images

profile="${SHOP_PROFILE:-release}"
target_dir="$REPO_ROOT/target/$([ "$profile" = dev ] && echo debug || echo "$profile")"
build_release_set "$profile"

context="$REPO_ROOT/target/shop-image"
rm -rf "$context" && mkdir -p "$context"
for s in "${SHOP_SERVICES[@]}" "${SHOP_SIMULATORS[@]}"; do cp "$target_dir/$s" "$context/shop-$s"; done
for t in "${SHOP_TOOLS[@]}"; do cp "$target_dir/$t" "$context/$t"; done
cp "$REPO_ROOT/deploy/images/shop/Dockerfile.prebuilt" "$context/Dockerfile"
registry="${SHOP_REGISTRY:-testbed}" tag="${SHOP_TAG:-latest}"
images=("${SHOP_SERVICES[@]}" "${SHOP_SIMULATORS[@]}" "${!TOOL_IMAGES[@]}")
log "docker build ${#images[@]} images ($registry/<name>:$tag) on $SHOP_BASE_IMAGE"
for image in "${images[@]}"; do
  docker build -q --build-arg BASE_IMAGE="$SHOP_BASE_IMAGE" --target "$image" \
    -t "$registry/$image:$tag" "$context" >/dev/null
done
