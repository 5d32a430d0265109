#!/usr/bin/env bash
# Fetches Istio's own CRD schemas (OpenAPI + CEL x-kubernetes-validations) per Istio minor from the
# Go module proxy, for the MW11x layer (operator/src/validate/istio-schema/):
#
#   .tools/istio/<minor>/crd-all.gen.yaml   istio/istio manifests/charts/base/files/crd-all.gen.yaml
#   .tools/istio/<minor>/source.txt         module@version/path it came from
#
# istio/istio's crd-all.gen.yaml is a verbatim copy of istio.io/api's
# kubernetes/customresourcedefinitions.gen.yaml at the api version istio's go.mod pins (checked
# byte-for-byte for istio@...eed52ebb66ad vs api@v1.31.0-rc.0...b943409680a7). istio/istio has no
# semver tags, so the proxy serves it only as pseudo-versions; istio.io/api has real release tags
# (1.4 MB zips vs 11 MB). Each minor lists candidates, tried in order; the first the proxy serves wins.
# Idempotent and cached: a minor whose source.txt names the first candidate that succeeds is kept.
# Runs in about a second per minor on a warm module cache, a few seconds cold.
#
# The minors and their candidates come from the version table (scripts/versions.env).
# usage: scripts/fetch-istio-crds.sh [--force] [1.28 1.31 ...]   (default: every minor of the table)
# See docs/adr/0050-envoy-semantic-and-istio-schema-layers.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=versions.env
source "$ROOT/scripts/versions.env"
OUT="$ROOT/.tools/istio"
FORCE=0
WANT=()
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    1.*) WANT+=("$a") ;;
    *) echo "fetch-istio-crds: unknown argument $a" >&2; exit 2 ;;
  esac
done
[[ ${#WANT[@]} -gt 0 ]] || read -r -a WANT <<<"$MW_ISTIO_MINORS"

# minor -> candidates "module@version:path", best first (the table's crdSources).
candidates() {
  local var="MW_CRD_SOURCES_${1//./_}"
  [[ -n "${!var:-}" ]] || return 1
  echo "${!var}"
}

command -v go >/dev/null || { echo "fetch-istio-crds: needs Go on PATH (only 'go mod download' is used)" >&2; exit 1; }
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="${GOFLAGS:-} -mod=mod"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

status=0
for minor in "${WANT[@]}"; do
  cands=$(candidates "$minor") || { echo "fetch-istio-crds: no source known for Istio $minor" >&2; status=1; continue; }
  dest="$OUT/$minor"
  first=${cands%% *}
  if [[ $FORCE -eq 0 && -s "$dest/crd-all.gen.yaml" && -f "$dest/source.txt" ]] && grep -qxF "$first" "$dest/source.txt"; then
    echo "fetch-istio-crds: Istio $minor cached ($(cat "$dest/source.txt"))"
    continue
  fi
  done_=0
  for c in $cands; do
    mv=${c%%:*} path=${c#*:}
    # go mod download needs a module context for -json; run it from an empty temp module.
    json=$(cd "$TMP" && go mod download -json "$mv" 2>/dev/null || true)
    dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
    if [[ -z "$dir" || ! -s "$dir/$path" ]]; then
      err=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
      echo "fetch-istio-crds: Istio $minor: $mv unavailable${err:+ ($err)}" >&2
      continue
    fi
    grep -q 'kind: EnvoyFilter' "$dir/$path" && grep -q 'kind: WasmPlugin' "$dir/$path" || {
      echo "fetch-istio-crds: $mv/$path lacks the EnvoyFilter/WasmPlugin CRDs" >&2; continue; }
    mkdir -p "$dest"
    install -m 0644 "$dir/$path" "$dest/crd-all.gen.yaml.tmp"
    mv -f "$dest/crd-all.gen.yaml.tmp" "$dest/crd-all.gen.yaml"
    printf '%s\n' "$c" >"$dest/source.txt"
    echo "fetch-istio-crds: Istio $minor <- $mv ($(wc -c <"$dest/crd-all.gen.yaml") bytes)"
    done_=1
    break
  done
  [[ $done_ -eq 1 ]] || { echo "fetch-istio-crds: Istio $minor: no candidate could be downloaded" >&2; status=1; }
done
exit $status
