#!/usr/bin/env bash
# Builds kubeconform (schema-only Kubernetes manifest validator) from its Go module into
# .tools/bin/kubeconform: one of the lint benchmark's baselines (bench/lint-peers.ts, issue 8).
# Idempotent and cached: the binary is kept while its .version file names the pin. FORCE=1 rebuilds.
# The pin is what proxy.golang.org/github.com/yannh/kubeconform/@latest answered on 2026-11-25.
# A cold build takes about a minute on 2 cores (few dependencies).
#
# usage: scripts/build-kubeconform.sh     env: KUBECONFORM_VERSION, FORCE=1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
OUT="$BIN/kubeconform"
VERSION="${KUBECONFORM_VERSION:-v0.8.0}"
log() { echo "[build-kubeconform] $*"; }
mkdir -p "$BIN"

if [[ -x "$OUT" && "$(cat "$OUT.version" 2>/dev/null)" == "$VERSION" && "${FORCE:-0}" != "1" ]]; then
  log "up to date: $OUT ($VERSION)"
  exit 0
fi
command -v go >/dev/null || { log "go not found"; exit 1; }
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
log "building github.com/yannh/kubeconform/cmd/kubeconform@$VERSION"
start=$(date +%s)
gobin="$(mktemp -d)"
trap 'rm -rf "$gobin"' EXIT
GOBIN="$gobin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice -n 10 go install -ldflags "-s -w" "github.com/yannh/kubeconform/cmd/kubeconform@$VERSION"
mv "$gobin/kubeconform" "$OUT"
echo "$VERSION" >"$OUT.version"
log "built $OUT in $(( $(date +%s) - start ))s"
