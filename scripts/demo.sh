#!/usr/bin/env bash
# The main job, offline: renders the examples and shows a bad configuration being refused.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-validator.sh   # npm packages, Envoy descriptor sets, Istio CRDs (cached)
mw() { node bin/meshwarden.js "$@"; }

echo "==> A SmartLimiter and its Service:"
cat examples/smartlimiter-per-pod/smartlimiter.yaml
echo
echo "==> meshwarden render examples/smartlimiter-per-pod/"
mw render examples/smartlimiter-per-pod/
echo
echo "==> A broken one (a typo, a zero rate, a fill interval Envoy rejects) is refused with positions and hints:"
broken=$(mktemp --suffix=.yaml)
trap 'rm -f "$broken"' EXIT
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
echo
echo "==> Every example, linted:"
mw lint examples/ && echo "examples: no errors (the lines above are infos about the rendered EnvoyFilters)"
