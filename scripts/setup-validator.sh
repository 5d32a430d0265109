#!/usr/bin/env bash
# What the CLI's validator needs, installed once and cached: npm packages, the Envoy API
# descriptor sets (built from the go-control-plane Go modules), Istio's CRD schemas, and
# bubblewrap, the sandbox of `validate --envoy` (installed with apt-get when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "npm packages"
bash scripts/node-deps.sh

# shellcheck source=versions.env
source scripts/versions.env
step "Envoy API descriptor sets (Envoy $MW_ENVOY_MINORS)"
bash scripts/build-protosets.sh

step "Istio CRDs"
bash scripts/fetch-istio-crds.sh

step "bubblewrap, the sandbox \`meshwarden validate --envoy\` runs Envoy in (docs/adr/0103-sandboxed-envoy-oracle.md)"
if command -v bwrap >/dev/null; then
  echo "bwrap $(bwrap --version | cut -d' ' -f2) already installed"
elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  echo "installed bwrap $(bwrap --version | cut -d' ' -f2)"
else
  # Not fatal: lint needs no sandbox; validate --envoy refuses to run until it is there.
  echo "bubblewrap is missing: install it as root (Debian/Ubuntu: apt-get install bubblewrap;" \
    "Fedora: dnf install bubblewrap) before using meshwarden validate --envoy" >&2
fi
