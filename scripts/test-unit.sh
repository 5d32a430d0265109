#!/usr/bin/env bash
# npm run test:unit: the unit tests (operator/, bench/) after nothing but `npm ci`, in minutes, two
# files at a time. Two kinds of test need a tool this script does not build, and are skipped LOUDLY:
#   - the oracle files (`*oracle*.test.ts`: verdicts against a real Envoy or kube-apiserver, the
#     slowest third of the suite) run only with --with-tools, under CI=true, and in `npm test`;
#   - a test whose tool is missing from .tools/ skips itself with the reason.
# Every skip is listed at the end; under CI=true a skip fails the run (CI must run them all).
#
# usage: scripts/test-unit.sh [--with-tools]
set -uo pipefail
cd "$(dirname "$0")/.."

with_tools=0
[[ ${1:-} == --with-tools || ${CI:-} == true ]] && with_tools=1

# shellcheck source=versions.env
source scripts/versions.env
absent=()
for envoy in $MW_ENVOY_MINORS; do [[ -f .tools/protos/envoy-$envoy.pb ]] || absent+=(".tools/protos/envoy-$envoy.pb"); done
for istio in $MW_ISTIO_MINORS; do [[ -f .tools/istio/$istio/crd-all.gen.yaml ]] || absent+=(".tools/istio/$istio/crd-all.gen.yaml"); done
if ((${#absent[@]} > 0)); then
  printf '\n!!! The validator data is not built (%s): the tests that check manifests will fail.\n' "${absent[*]}" >&2
  printf '!!! npm run setup:validator builds it (Go; about 3 minutes).\n\n' >&2
fi

mapfile -t all < <(find operator bench -name '*.test.ts' -not -path '*/node_modules/*' | sort)
tests=() oracles=()
for f in "${all[@]}"; do
  if [[ $with_tools == 0 && $(basename "$f") == *oracle*.test.ts ]]; then oracles+=("$f"); else tests+=("$f"); fi
done

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
node --test --import tsx --test-concurrency="${MESHWARDEN_TEST_CONCURRENCY:-2}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${tests[@]}"
rc=$?

mapfile -t skipped < <(grep -E '^ *(not )?ok [0-9]+ - .* # SKIP' "$tap" | sed -E 's/^ *(not )?ok [0-9]+ - //' | sort -u)
if ((${#oracles[@]} > 0)); then
  printf '\n!!! %d oracle test file(s) SKIPPED (real Envoy / kube-apiserver from .tools/; npm run test:unit -- --with-tools or npm test runs them):\n' "${#oracles[@]}" >&2
  printf '!!!   %s\n' "${oracles[@]}" >&2
fi
if ((${#skipped[@]} > 0)); then
  printf '\n!!! %d unit test(s) SKIPPED (each names the tool it needs and how to get it):\n' "${#skipped[@]}" >&2
  printf '!!!   %s\n' "${skipped[@]}" >&2
  if [[ ${CI:-} == true ]]; then
    printf '!!! CI=true: a skipped test is a failure here.\n' >&2
    rc=1
  fi
fi
exit "$rc"
