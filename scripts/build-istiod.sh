#!/usr/bin/env bash
# Builds istiod (pilot-discovery) and istioctl from the istio.io/istio Go module into .tools/bin,
# one pair per Istio minor, the way Istio's own Makefile does (CGO off, -tags vtprotobuf,disable_pgv,
# buildVersion stamped so EnvoyFilter proxyVersion matching and `istioctl version` tell the truth):
#
#   .tools/bin/pilot-discovery-<minor>   istiod, for e2e/istiod and the baselines (issue 9)
#   .tools/bin/istioctl-<minor>          `istioctl analyze`, the lint benchmark's baseline (issue 8)
#
# istio/istio has no semver tags, so the Go module proxy serves only pseudo-versions, and only some:
# release-1.30 at 9739e10eb9d7 and the 1.31 line at eed52ebb66ad; the commits of tags 1.28.x and
# 1.29.x answer 403, so 1.28 and 1.29 have no real istiod here (docs/adr/0081-istiod-in-the-loop.md).
# Each minor is built from a wrapper module, e2e/istiod/gomod/<minor>/ (go.mod `tool` directives;
# 1.30 replaces the pins the proxy does not serve), like e2e/controlplane wraps k8s.io/kubernetes.
#
# Idempotent and cached: a binary whose .version file matches its wrapper's go.mod and go.sum is kept.
# FORCE=1 rebuilds. Cold: ~10 min per minor for both binaries on 2 busy cores; warm (cache hit): <1 s.
#
# usage: scripts/build-istiod.sh [1.30 1.31]   (default: the minors whose baselines are captured,
#        MW_CAPTURED_ISTIO_MINORS of scripts/versions.env)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
log() { echo "[build-istiod] $(date -u +%H:%M:%S) $*"; }
mkdir -p "$BIN"
# shellcheck source=versions.env
source "$ROOT/scripts/versions.env"

# The version stamped into the binaries: the VERSION file of the pinned commit plus "-dev", as
# Istio's Makefile does for untagged builds (Makefile.core.mk). istiod sends it nowhere that
# matters to us; the proxies' ISTIO_VERSION metadata is what EnvoyFilter proxyVersion matches.
# Only the minors with a wrapper module under e2e/istiod/gomod/ can be built.
stamp() {
  [[ -d "$ROOT/e2e/istiod/gomod/$1" ]] || return 1
  echo "$1-dev"
}

WANT=("$@")
[[ ${#WANT[@]} -gt 0 ]] || read -r -a WANT <<<"$MW_CAPTURED_ISTIO_MINORS"
command -v go >/dev/null || { log "go not found"; exit 1; }
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

for minor in "${WANT[@]}"; do
  ver="$(stamp "$minor")" || { log "no wrapper module for Istio $minor (only $(ls "$ROOT/e2e/istiod/gomod" | tr '\n' ' ')can be built: ADR 0081)"; exit 2; }
  mod="$ROOT/e2e/istiod/gomod/$minor"
  [[ -f "$mod/go.mod" ]] || { log "missing $mod/go.mod"; exit 2; }
  # Cache key: the wrapper's go.mod + go.sum (the pin and every replace) and the stamp.
  key="$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16) $ver"
  for cmd in pilot-discovery istioctl; do
    out="$BIN/$cmd-$minor"
    if [[ -x "$out" && "$(cat "$out.version" 2>/dev/null)" == "$key" && "${FORCE:-0}" != "1" ]]; then
      log "up to date: $out ($key)"
      continue
    fi
    case "$cmd" in
      pilot-discovery) pkg="istio.io/istio/pilot/cmd/pilot-discovery" ;;
      istioctl) pkg="istio.io/istio/istioctl/cmd/istioctl" ;;
    esac
    log "building $cmd for Istio $minor from $(awk '$1 == "istio.io/istio" { print $2 }' "$mod/go.mod" | head -n1)" \
      "(cold: minutes on 2 cores)"
    start=$(date +%s)
    tmp="$out.tmp.$$"
    trap 'rm -f "$tmp"' EXIT
    # -v prints each package as it is compiled (the progress of a cold build, every 100th shown);
    # anything else go prints (errors) passes through.
    if ! (cd "$mod" && nice -n 10 env CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -mod=readonly -v \
      -tags vtprotobuf,disable_pgv -ldflags "-s -w -X istio.io/istio/pkg/version.buildVersion=$ver" \
      -o "$tmp" "$pkg") 2>&1 | awk -v c="$cmd" '/^[^ ]+$/ { if (++n % 100 == 0) { printf "[build-istiod] %s: %d packages compiled\n", c, n; fflush() } next } { print; fflush() }'; then
      log "FAIL: go build $pkg"
      exit 1
    fi
    mv -f "$tmp" "$out"
    echo "$key" >"$out.version"
    log "built $out in $(( $(date +%s) - start ))s ($(du -h "$out" | cut -f1))"
  done
  "$BIN/pilot-discovery-$minor" version --short >/dev/null 2>&1 || { log "FAIL: $BIN/pilot-discovery-$minor version"; exit 1; }
done
log "ok: $(for m in "${WANT[@]}"; do printf '%s ' "pilot-discovery-$m istioctl-$m"; done)in $BIN"
