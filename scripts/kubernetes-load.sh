#!/usr/bin/env bash
# A load run of several workers on Kubernetes, judged as one:
#   scripts/kubernetes-load.sh WORKERS PROFILE          run it, print the verdict
#   scripts/kubernetes-load.sh WORKERS PROFILE --render  print the objects only
# Applies deploy/kubernetes/overlays/load (the dev overlay with the load
# component) with WORKERS workers, PROFILE, and a start time
# LOAD_LEAD_SECONDS (default 60) ahead for every worker, after deleting the
# previous run's Jobs (a Job's pods cannot change). Then waits for the judge
# Job and prints its table; exits non-zero when it failed (a threshold
# broke, or a worker was missing or lost).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

workers="${1:?usage: kubernetes-load.sh WORKERS PROFILE [--render]}"
profile="${2:?usage: kubernetes-load.sh WORKERS PROFILE [--render]}"
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || { log "WORKERS must be a number above 0"; exit 2; }
start="$(($(date -u +%s) + ${LOAD_LEAD_SECONDS:-60}))"

# Kustomize reads kustomizations by relative path: this one lives in target/.
dir="$REPO_ROOT/target/kubernetes-load"
mkdir -p "$dir"
cat > "$dir/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../deploy/kubernetes/overlays/load
configMapGenerator:
  - name: loadgen-run
    namespace: shop
    behavior: merge
    literals:
      - LOAD_PROFILE=$profile
      - LOAD_WORKERS=$workers
      - LOAD_START_AT=$start
patches:
  - target: { kind: Job, name: loadgen }
    patch: |-
      - { op: replace, path: /spec/completions, value: $workers }
      - { op: replace, path: /spec/parallelism, value: $workers }
YAML
if [ "${3:-}" = --render ]; then
  kubectl kustomize "$dir"
  exit 0
fi

kubectl -n shop delete job loadgen loadgen-judge --ignore-not-found
kubectl apply -k "$dir"
log "$workers workers of profile $profile start at $(date -u -d "@$start" +%FT%TZ); the judge waits for them"
ended() { kubectl -n shop get job loadgen-judge -o jsonpath='{.status.succeeded}{.status.failed}'; }
until [ -n "$(ended)" ]; do sleep 10; done
kubectl -n shop logs job/loadgen-judge
[ "$(kubectl -n shop get job loadgen-judge -o jsonpath='{.status.succeeded}')" = 1 ]
