#!/usr/bin/env bash
# Build the multi-call control-plane binary for e2e tests from e2e/controlplane/
# (k8s.io/kubernetes + embedded etcd) into .tools/bin/kube-controlplane, and symlink
# kubectl, kube-apiserver and kube-controller-manager to it.
# Idempotent: skips the build when the binary is newer than every Go source, go.mod and go.sum.
# Uses the default GOMODCACHE/GOCACHE. A cold build takes a long time on 2 cores:
# run it in the background (nohup scripts/build-controlplane.sh > .tools/logs/build.log 2>&1 &).
# Env: FORCE=1 rebuilds; BUILD_TAGS (e.g. "nokubectl" leaves kubectl out).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/e2e/controlplane"
BIN="$ROOT/.tools/bin"
OUT="$BIN/kube-controlplane"
log() { echo "[build-controlplane] $*"; }

# Version for the -X flags: the k8s.io/kubernetes requirement in go.mod.
K8S_VERSION="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$SRC/go.mod")"
[[ -n "$K8S_VERSION" ]] || { log "cannot read the k8s.io/kubernetes version from $SRC/go.mod"; exit 1; }
MINOR="$(cut -d. -f2 <<<"$K8S_VERSION")"

mkdir -p "$BIN"
stale=1
if [[ -x "$OUT" && "${FORCE:-0}" != "1" ]]; then
  newer="$(find "$SRC" -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$OUT" | head -n1)"
  [[ -z "$newer" ]] && stale=0
fi

if [[ $stale == 0 ]]; then
  log "up to date: $OUT ($K8S_VERSION)"
else
  log "building $OUT for $K8S_VERSION (cold builds take 15+ min on 2 cores)"
  command -v go >/dev/null || { log "go not found"; exit 1; }
  PKG="k8s.io/component-base/version"
  LDFLAGS="-s -w -X $PKG.gitVersion=$K8S_VERSION -X $PKG.gitMajor=1 -X $PKG.gitMinor=$MINOR"
  LDFLAGS+=" -X $PKG.gitTreeState=clean -X $PKG.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  start=$(date +%s)
  tmp="$OUT.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  (cd "$SRC" && CGO_ENABLED=0 go build -mod=readonly -tags "${BUILD_TAGS:-}" -ldflags "$LDFLAGS" -o "$tmp" .)
  mv -f "$tmp" "$OUT"
  log "built in $(( $(date +%s) - start ))s, $(du -h "$OUT" | cut -f1)"
fi

for name in kube-apiserver kube-controller-manager kubectl; do
  if [[ $name == kubectl && " ${BUILD_TAGS:-} " == *" nokubectl "* ]]; then continue; fi
  [[ "$(readlink "$BIN/$name" 2>/dev/null || true)" == kube-controlplane ]] || ln -sfn kube-controlplane "$BIN/$name"
done
"$OUT" version >/dev/null || { log "FAIL: $OUT version"; exit 1; }
log "ok: $("$OUT" version) at $OUT (+ symlinks kube-apiserver, kube-controller-manager, kubectl)"
