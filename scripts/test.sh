#!/usr/bin/env bash
# Runs every test on a fresh machine or a warm one: installs what is missing (cached),
# type-checks, then runs the unit tests with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/node-deps.sh
bash scripts/build-protosets.sh     # Envoy API descriptor sets per Envoy version (cached in .tools/)

echo "==> typecheck"
npx tsc -p tsconfig.json --noEmit

echo "==> unit tests"
mapfile -t tests < <(find operator -name '*.test.ts' -not -path '*/node_modules/*' | sort)
node --test --import tsx --test-reporter=spec "${tests[@]}"
