#!/usr/bin/env bash
# What the CLI's validator needs, installed once and cached: npm packages, the Envoy API
# descriptor sets (built from the go-control-plane Go modules) and Istio's CRD schemas.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "npm packages"
bash scripts/node-deps.sh

step "Envoy API descriptor sets (Envoy 1.36-1.39)"
bash scripts/build-protosets.sh

step "Istio CRDs"
bash scripts/fetch-istio-crds.sh
