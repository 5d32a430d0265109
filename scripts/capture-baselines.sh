#!/usr/bin/env bash
# Regenerates envoy-templates/baselines/<minor>/{sidecar,gateway}.json from a real istiod
# (operator/tools/capture-baselines.ts; docs/adr/0082-baselines-captured-from-istiod.md).
# Needs the e2e control plane (scripts/build-controlplane.sh), istiod (scripts/build-istiod.sh,
# run here: cached) and the Envoy descriptor sets (scripts/build-protosets.sh).
# About 20 s per minor once everything is built.
#
# usage: scripts/capture-baselines.sh [--check] [1.30 1.31]   (--check: fail if the files are stale;
#        default: the minors the version table marks as captured, MW_CAPTURED_ISTIO_MINORS)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=versions.env
source "$ROOT/scripts/versions.env"
minors=()
for a in "$@"; do [[ "$a" == 1.* ]] && minors+=("$a"); done
[[ ${#minors[@]} -gt 0 ]] || read -r -a minors <<<"$MW_CAPTURED_ISTIO_MINORS"
[[ -x "$ROOT/.tools/bin/kube-controlplane" ]] || bash "$ROOT/scripts/build-controlplane.sh"
bash "$ROOT/scripts/build-istiod.sh" "${minors[@]}"
cd "$ROOT" && exec npx tsx operator/tools/capture-baselines.ts "$@"
