#!/usr/bin/env bash
# Runs every test on a fresh machine or a warm one: installs what is missing (cached, see
# scripts/setup.sh), type-checks, checks the layer rules, the formatting and the lint, runs the unit
# tests, then the e2e tests against a real kube-apiserver and Envoy.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "==> typecheck"
npx tsc -p tsconfig.json --noEmit

echo "==> layer rules (.dependency-cruiser.cjs: no cycles, the core imports no shell, no test code in what ships)"
npm run -s check:layers

echo "==> format (prettier --check on the TypeScript and JavaScript; npm run format rewrites)"
npm run -s format:check

echo "==> lint (typescript-eslint, type-aware, zero warnings: docs/adr/0115-lint-and-format.md)"
npm run -s lint:ts

echo "==> unit tests (npm run test:unit; under CI a skipped test fails the run)"
bash scripts/test-unit.sh --with-tools

echo "==> e2e tests (real kube-apiserver, kube-controller-manager and Envoy; one at a time)"
# In CI a missing binary is a failure, not a skip.
if [[ ${CI:-} == true ]]; then export MESHWARDEN_E2E_REQUIRE=1; fi
mapfile -t e2e < <(find e2e -name '*.e2e.test.ts' | sort)
node --test --import tsx --test-reporter=spec --test-concurrency=1 "${e2e[@]}"
