#!/usr/bin/env bash
# npm run demo: meshwarden end to end on this machine, everything on 127.0.0.1 — a real
# Kubernetes control plane, `meshwarden serve` (operator + admission webhook), the examples,
# bad configuration refused at `kubectl apply`, and a real Envoy turning requests into 429s
# (e2e/demo/demo.ts). Everything is stopped and its temp files removed at the end, also on Ctrl-C.
#
#   npm run demo                 installs what it needs (cached), then runs the demo (~20 s warm)
#   npm run demo -- --pause      waits for Enter before shutting down, to try kubectl yourself
#   npm run demo -- --offline    no cluster, no Envoy: renders an example and lints a broken one
#
# The live demo needs Node.js, Go >= 1.26 (the Envoy 1.40 descriptor set), openssl, python3 with pip and unzip; its first run
# builds the control plane from k8s.io/kubernetes (about 6 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=live
args=()
for a in "$@"; do
  case "$a" in
    --offline) mode=offline ;;
    --pause) args+=(--pause) ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
mw() { node bin/meshwarden.js "$@"; }

offline() {
  bash scripts/setup-validator.sh   # npm packages, Envoy descriptor sets, Istio CRDs (cached)
  step "A SmartLimiter and its Service:"
  cat examples/smartlimiter-per-pod/smartlimiter.yaml
  step "meshwarden render examples/smartlimiter-per-pod/"
  mw render examples/smartlimiter-per-pod/
  step "A broken one (a typo, a zero rate, a fill interval Envoy rejects) is refused with positions and hints:"
  broken=$work/broken.yaml
  cat > "$broken" <<'YAML'
apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: broken, namespace: shop}
spec:
  target: {service: api}
  limits:
  - name: a
    rate: {requests: 0, per: 10ms}
    stratgy: average
YAML
  cat -n "$broken"
  mw lint "$broken" && status=0 || status=$?
  echo "(exit code $status)"
  step "Every example, linted:"
  mw lint examples/ && echo "examples: no errors (the lines above are infos about the rendered EnvoyFilters)"
}

# The control plane build is long only the first time: show how far it is (go build -v names
# each package it compiles; go list -deps counts them beforehand). Its full output goes to a log.
build_controlplane() {
  if [[ -x .tools/bin/kube-controlplane ]]; then
    bash scripts/build-controlplane.sh
    return
  fi
  echo "First build of etcd, kube-apiserver, kube-controller-manager and kubectl from k8s.io/kubernetes:"
  echo "about 6 minutes on 2 cores, cached in .tools/bin afterwards. Downloading modules first..."
  mkdir -p .tools/logs
  local log=.tools/logs/demo-build-controlplane.log total
  total=$(cd e2e/controlplane && go list -mod=readonly -deps . | wc -l)
  local start=$SECONDS n=0 last=0 tty=0
  [[ -t 1 ]] && tty=1
  GOFLAGS="${GOFLAGS:-} -v" bash scripts/build-controlplane.sh 2>&1 | tee "$log" | while IFS= read -r line; do
    if [[ $line == '[build-controlplane]'* ]]; then
      ((tty)) && printf '\r\033[K'
      echo "$line"
      continue
    fi
    n=$((n + 1))
    ((n <= total)) || total=$n
    if ((tty)); then
      printf '\r\033[K  %3d%%  %d/%d packages  %dm%02ds  %s' $((n * 100 / total)) "$n" "$total" $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "${line:0:60}"
    elif ((SECONDS - last >= 30)); then
      last=$SECONDS
      printf '  %3d%%  %d/%d packages after %ds\n' $((n * 100 / total)) "$n" "$total" $((SECONDS - start))
    fi
  done || { echo "the control plane build failed; its output is in $log" >&2; return 1; }
}

live() {
  local missing=()
  for tool in go openssl python3 unzip; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if ((${#missing[@]})); then
    echo "demo: the live demo needs ${missing[*]} (Go >= 1.26 builds the descriptor sets and the control plane)." >&2
    echo "      npm run demo -- --offline shows the validator without a cluster." >&2
    exit 1
  fi
  bash scripts/setup-validator.sh
  step "Envoy 1.36.2, the proxy of Istio 1.28"
  ENVOY_VERSIONS=1.36.2 ENVOY_DEFAULT=1.36.2 bash scripts/fetch-envoy.sh
  step "Kubernetes control plane"
  build_controlplane

  step "The demo"
  # In its own session, so Ctrl-C reaches this script alone and is passed to node, which stops
  # its children in order (a kubectl killed by the same Ctrl-C would break node's pipe to it).
  # In the background so the traps run; stdin stays the terminal (--pause reads it).
  local own=()
  command -v setsid >/dev/null && own=(setsid)
  ${own[@]+"${own[@]}"} node --import tsx e2e/demo/demo.ts ${args[@]+"${args[@]}"} <&0 &
  local pid=$! status=0
  trap 'kill -INT $pid 2>/dev/null || true' INT
  trap 'kill -TERM $pid 2>/dev/null || true' TERM HUP
  wait $pid || status=$?
  # A trapped signal ends `wait` early: wait again while node stops everything.
  while kill -0 $pid 2>/dev/null; do wait $pid || status=$?; done
  return $status
}

# Every temp file of the demo (control plane, certificates, Envoy configs, logs, tsx's cache)
# lives under $work, removed on any exit. A process still pointing into it was started by the
# demo: stop it.
work=$(mktemp -d "${TMPDIR:-/tmp}/meshwarden-demo.XXXXXX")
export TMPDIR=$work
cleanup() {
  local left i
  # Processes killed a moment ago (on Ctrl-C) may need a few ms to go: give them 5 s.
  for i in $(seq 50); do
    left=$(pgrep -f -- "$work" || true)
    [[ -z $left ]] && break
    sleep 0.1
  done
  if [[ -n $left ]]; then
    echo "demo: stopping leftover processes $(echo $left)" >&2
    kill -KILL $left 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ $mode == offline ]]; then offline; else live; fi
