#!/usr/bin/env bash
# Builds the Helm CLI from the helm.sh/helm/v3 Go module into .tools/bin/helm, for the
# chart's tests (helm lint, helm template; e2e/chart/). No binary download: the module
# proxy serves the source, `go install` builds it.
# Idempotent and cached: skips the build when .tools/bin/helm exists for the pinned version
# (.tools/bin/helm.version). Env: HELM_VERSION (default: the pin below), FORCE=1 rebuilds.
# The pin is the newest v3 the proxy listed on 2026-11-25 (v3.22.0, tagged 2026-09-09).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
OUT="$BIN/helm"
VERSION="${HELM_VERSION:-v3.22.0}"
log() { echo "[build-helm] $*"; }
mkdir -p "$BIN"

if [[ -x "$OUT" && "$(cat "$OUT.version" 2>/dev/null)" == "$VERSION" && "${FORCE:-0}" != "1" ]]; then
  log "up to date: $OUT ($VERSION)"
  exit 0
fi
command -v go >/dev/null || { log "go not found"; exit 1; }
log "building helm.sh/helm/v3/cmd/helm@$VERSION (a cold build takes several minutes on 2 cores)"
start=$(date +%s)
gobin="$(mktemp -d)"
trap 'rm -rf "$gobin"' EXIT
# helm's own Makefile stamps the version through ldflags; without it `helm version` says v3.x-dev
# and charts with a kubeVersion constraint would be judged against the wrong client.
GOBIN="$gobin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice -n 10 go install \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION" \
  "helm.sh/helm/v3/cmd/helm@$VERSION"
mv "$gobin/helm" "$OUT"
echo "$VERSION" >"$OUT.version"
log "built $OUT in $(( $(date +%s) - start ))s: $("$OUT" version --short)"
