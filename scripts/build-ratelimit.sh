#!/usr/bin/env bash
# Builds envoyproxy/ratelimit (the global rate limit service) from its Go module into
# .tools/bin/ratelimit, and installs redis-server from Debian's packages; both for the
# global-limit traffic tests (e2e/envoy/global.e2e.test.ts).
# Idempotent and cached: skips the build when .tools/bin/ratelimit exists for the pinned
# version (.tools/bin/ratelimit.version), skips apt when redis-server is on PATH.
# Env: RATELIMIT_VERSION (default: the pin below), FORCE=1 rebuilds, SKIP_REDIS=1.
# The Go module proxy serves no tagged release of the module, only pseudo-versions; the pin
# is what `proxy.golang.org/github.com/envoyproxy/ratelimit/@latest` answered on 2026-11-25.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
OUT="$BIN/ratelimit"
VERSION="${RATELIMIT_VERSION:-v1.4.1-0.20260122083618-3fb702589d36}"
log() { echo "[build-ratelimit] $*"; }
mkdir -p "$BIN"

if [[ -x "$OUT" && "$(cat "$OUT.version" 2>/dev/null)" == "$VERSION" && "${FORCE:-0}" != "1" ]]; then
  log "up to date: $OUT ($VERSION)"
else
  command -v go >/dev/null || { log "go not found"; exit 1; }
  log "building github.com/envoyproxy/ratelimit/src/service_cmd@$VERSION (a cold build takes a few minutes on 2 cores)"
  start=$(date +%s)
  gobin="$(mktemp -d)"
  trap 'rm -rf "$gobin"' EXIT
  GOBIN="$gobin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install -ldflags "-s -w" "github.com/envoyproxy/ratelimit/src/service_cmd@$VERSION"
  mv "$gobin/service_cmd" "$OUT"
  echo "$VERSION" >"$OUT.version"
  log "built $OUT in $(( $(date +%s) - start ))s"
fi

if [[ "${SKIP_REDIS:-0}" == "1" ]]; then
  log "SKIP_REDIS=1: not installing redis-server"
elif command -v redis-server >/dev/null; then
  log "redis-server present: $(redis-server --version | head -n1)"
else
  log "installing redis-server from Debian"
  SUDO=""
  [[ $(id -u) == 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
  log "installed: $(redis-server --version | head -n1)"
fi
