#!/usr/bin/env bash
# Regenerates envoy-templates/baselines/<minor>/{sidecar,gateway}.json from a real istiod
# (operator/tools/capture-baselines.ts; docs/adr/0082-baselines-captured-from-istiod.md).
# Needs the e2e control plane (scripts/build-controlplane.sh), istiod (scripts/build-istiod.sh,
# run here: cached) and the Envoy descriptor sets (scripts/build-protosets.sh).
# About 20 s per minor once everything is built.
#
# usage: scripts/capture-baselines.sh [--check] [1.30 1.31]   (--check: fail if the files are stale)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minors=()
for a in "$@"; do [[ "$a" == 1.* ]] && minors+=("$a"); done
[[ ${#minors[@]} -gt 0 ]] || minors=(1.30 1.31)
[[ -x "$ROOT/.tools/bin/kube-controlplane" ]] || bash "$ROOT/scripts/build-controlplane.sh"
bash "$ROOT/scripts/build-istiod.sh" "${minors[@]}"
cd "$ROOT" && exec npx tsx operator/tools/capture-baselines.ts "$@"
