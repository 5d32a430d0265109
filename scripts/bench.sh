#!/usr/bin/env bash
# Every benchmark of issue 8, each against its baseline in the same run, in sequence, each
# bounded in time; machine-readable results in bench/results/<name>.json (logs beside them),
# then the table of rows (bench/summary.ts). Installs what it needs first (all cached):
# scripts/setup.sh (Envoy, control plane, descriptor sets), kubeconform, istioctl for Istio 1.31.
#
#   scripts/bench.sh [--quick] [--only lint,operator,webhook,webhook-hostile,envoy] [--out DIR]
#
# --quick: one scale step, short runs (a few minutes; for checking the benches, not for figures),
# results in bench/results/quick/ (git-ignored). Exit status: non-zero when a benchmark failed
# to run (a missed target is a figure, not a failure).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

QUICK=0
ONLY="lint,operator,webhook,webhook-hostile,envoy"
OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --only) ONLY="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "usage: scripts/bench.sh [--quick] [--only lint,operator,webhook,webhook-hostile,envoy] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$OUT" ]] || { [[ $QUICK == 1 ]] && OUT=bench/results/quick || OUT=bench/results; }
mkdir -p "$OUT"

step() { printf '\n==> %s\n' "$*"; }
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

step "tools (cached)"
bash scripts/setup.sh >"$OUT/setup.log" 2>&1 || { echo "scripts/setup.sh failed; see $OUT/setup.log" >&2; exit 1; }
if wants lint; then
  bash scripts/build-kubeconform.sh || exit 1
  [[ -x .tools/bin/istioctl-1.31 ]] || bash scripts/build-istiod.sh 1.31 || exit 1
fi

failed=()
# run NAME SECONDS COMMAND...: one benchmark, killed (whole process group) after SECONDS.
run() {
  local name="$1" limit="$2"
  shift 2
  step "$name (at most ${limit}s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -f "$OUT/$name.json"
  timeout --kill-after=30 "$limit" "$@" --json "$OUT/$name.json" 2>&1 | grep --line-buffered -v '^\[controlplane\]' | tee "$OUT/$name.log"
  local rc=${PIPESTATUS[0]}
  if [[ $rc != 0 || ! -s "$OUT/$name.json" ]]; then
    echo "!! $name failed (exit $rc); log: $OUT/$name.log" >&2
    failed+=("$name")
  fi
}

if [[ $QUICK == 1 ]]; then
  wants lint && run lint 600 npx tsx bench/lint.bench.ts --scales 1 --runs 1
  wants operator && run operator 600 node --import tsx bench/operator-scale.ts --counts 500 --changes 50
  wants webhook && run webhook 300 node --import tsx bench/webhook.bench.ts --rate 500 --seconds 3 --skip-worst
  wants webhook-hostile && run webhook-hostile 300 node --import tsx bench/webhook-hostile.ts --rate 200 --seconds 3 --hostile-every 1
  wants envoy && run envoy 300 npx tsx bench/envoy.bench.ts 2 2 16
else
  wants lint && run lint 1500 npx tsx bench/lint.bench.ts --scales 1,5,10 --runs 3
  wants operator && run operator 2400 node --import tsx bench/operator-scale.ts --counts 500,2500,5000 --changes 200
  wants webhook && run webhook 900 node --import tsx bench/webhook.bench.ts --rate 50 --rate 250 --rate 500 --seconds 10
  wants webhook-hostile && run webhook-hostile 600 node --import tsx bench/webhook-hostile.ts --rate 200 --seconds 10 --hostile-every 1
  wants envoy && run envoy 900 npx tsx bench/envoy.bench.ts 9 5 16
fi

step "summary ($OUT)"
npx tsx bench/summary.ts "$OUT"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "failed to run: ${failed[*]}" >&2
  exit 1
fi
