#!/usr/bin/env bash
# Installs the npm dependencies exactly as locked, once: skipped while node_modules
# matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.meshwarden-lock
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "==> npm ci"
npm ci --no-audit --no-fund
cp package-lock.json "$stamp"
