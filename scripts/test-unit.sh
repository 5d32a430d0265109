#!/usr/bin/env bash
# npm run test:unit: every unit test (operator/, bench/) after nothing but `npm ci`, two files at a
# time. Tests that need a tool this checkout has not built (an Envoy binary, the Kubernetes control
# plane, the Go-built validator data) skip themselves with the reason; this runner lists every skip
# loudly at the end, and under CI (CI=true) a skip is a failure: CI must run them all.
set -uo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=versions.env
source scripts/versions.env
absent=()
for envoy in $MW_ENVOY_MINORS; do [[ -f .tools/protos/envoy-$envoy.pb ]] || absent+=(".tools/protos/envoy-$envoy.pb"); done
for istio in $MW_ISTIO_MINORS; do [[ -f .tools/istio/$istio/crd-all.gen.yaml ]] || absent+=(".tools/istio/$istio/crd-all.gen.yaml"); done
if ((${#absent[@]} > 0)); then
  printf '\n!!! The validator data is not built (%s): the tests that check manifests will fail.\n' "${absent[*]}" >&2
  printf '!!! npm run setup:validator builds it (Go; about 3 minutes).\n\n' >&2
fi

mapfile -t tests < <(find operator bench -name '*.test.ts' -not -path '*/node_modules/*' | sort)
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
node --test --import tsx --test-concurrency="${MESHWARDEN_TEST_CONCURRENCY:-2}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${tests[@]}"
rc=$?

mapfile -t skipped < <(grep -E '^ *(not )?ok [0-9]+ - .* # SKIP' "$tap" | sed -E 's/^ *(not )?ok [0-9]+ - //' | sort -u)
if ((${#skipped[@]} > 0)); then
  printf '\n!!! %d unit test(s) SKIPPED (each names the tool it needs and how to get it):\n' "${#skipped[@]}" >&2
  printf '!!!   %s\n' "${skipped[@]}" >&2
  if [[ ${CI:-} == true ]]; then
    printf '!!! CI=true: a skipped test is a failure here.\n' >&2
    rc=1
  fi
fi
exit "$rc"
