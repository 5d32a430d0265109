#!/usr/bin/env bash
# The Dockerfile's build and runtime stages without Docker (no daemon or registry here): the
# same commands in a scratch copy, the runtime tree assembled exactly as the COPY lines do,
# made read-only, then run as uid 65532 from / with no HOME — the CLI validates the examples
# and `serve --webhook-only` answers /readyz. Stage 1 (Go) is replaced by the local
# .tools/protos and .tools/istio, which scripts/setup-validator.sh builds with the same scripts.
#
# usage: e2e/chart/image-layout.sh [SCRATCH_DIR]   (default: a temp dir, removed at the end)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRATCH="${1:-$(mktemp -d /tmp/mw-image-XXXXXX)}"
[[ $# -ge 1 ]] || trap 'chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
log() { echo "[image-layout] $*"; }
[[ $(id -u) == 0 ]] || { log "needs root to run the result as uid 65532"; exit 1; }
for d in protos istio; do [[ -d "$ROOT/.tools/$d" ]] || { log ".tools/$d missing: run npm run setup:validator"; exit 1; }; done

# Stage 2 (build): the build context, then npm ci (node_modules copied from the checkout: the
# same lockfile, and no registry round trip), npm run build (tsconfig.build.json: no test code),
# npm prune --omit=dev, the cleanup.
BUILD="$SCRATCH/build"
mkdir -p "$BUILD"
( cd "$ROOT" && tar -cf - --exclude=node_modules --exclude=dist --exclude=.tools \
    package.json package-lock.json tsconfig.json tsconfig.build.json LICENSE bin schemas crds envoy-templates operator ) | tar -xf - -C "$BUILD"
cp -a "$ROOT/node_modules" "$BUILD/node_modules"
start=$(date +%s)
( cd "$BUILD" && nice -n 10 npm run build >/dev/null && npm prune --omit=dev --no-audit --no-fund >/dev/null )
rm -rf "$BUILD/node_modules/re2/build/Release/obj.target" "$BUILD/node_modules/re2/build/Release/.deps" "$BUILD/node_modules/re2/vendor"
log "build stage: $(( $(date +%s) - start ))s"

# Stage 3 (runtime): exactly the COPY lines' sources, root-owned, read-only; the validator data in
# data/, where the installed npm package keeps it (docs/adr/0117-package-layout-and-data-resolution.md).
APP="$SCRATCH/rootfs/app"
mkdir -p "$APP/data/protos"
for p in package.json LICENSE bin dist node_modules schemas crds envoy-templates; do cp -a "$BUILD/$p" "$APP/$p"; done
cp "$ROOT"/.tools/protos/*.pb "$ROOT"/.tools/protos/*.json "$APP/data/protos/"
cp -a "$ROOT/.tools/istio" "$APP/data/istio"
chown -R 0:0 "$APP" && chmod -R a-w "$APP"
log "runtime tree: $(du -sh "$APP" | cut -f1) (node_modules $(du -sh "$APP/node_modules" | cut -f1), dist $(du -sh "$APP/dist" | cut -f1))"
for dev in tsx typescript json-schema-to-typescript; do [[ ! -e "$APP/node_modules/$dev" ]] || { log "dev dependency $dev in the runtime tree"; exit 1; }; done
[[ -z "$(find "$APP/dist" -name '*.test.js' -o -name '*.testkit.js' -o -name 'fixtures.js' -o -name 'bench-*.js' | head -1)" ]] || { log "test code in dist/"; exit 1; }
[[ -z "$(ls "$APP/dist" | grep -vx operator)$(ls "$APP/dist/operator" | grep -vx src)" ]] || { log "dist/ holds more than operator/src"; exit 1; }

as_nonroot() { ( cd "${WORKDIR:-/}" && env -i PATH=/usr/bin:/bin NODE_ENV=production setpriv --reuid 65532 --regid 65532 --clear-groups "$@" ); }
as_nonroot test ! -w "$APP" || { log "the runtime tree is writable by uid 65532"; exit 1; }

# The CLI: every example validated (descriptor sets and Istio CRDs found in the tree).
cp -r "$ROOT/examples" "$SCRATCH/examples" && chmod -R a+rX "$SCRATCH"
as_nonroot node "$APP/bin/meshwarden.js" lint "$SCRATCH/examples" >/dev/null
log "lint of examples/ as uid 65532: exit 0"
# As the README's `docker run -v "$PWD:/work:ro" -w /work IMAGE lint .`: a mounted directory, read-only, as the working directory.
chmod -R a-w "$SCRATCH/examples"
WORKDIR="$SCRATCH/examples" as_nonroot node "$APP/bin/meshwarden.js" lint -o github . >/dev/null
log "lint . in a read-only working directory (the mounted-directory use) as uid 65532: exit 0"
out=$(printf 'apiVersion: meshwarden.io/v1alpha1\nkind: SmartLimiter\nmetadata: {name: x, namespace: shop}\nspec: {target: {service: a}, limits: [{name: a, rate: {requests: 0, per: 1m}}]}\n' | as_nonroot node "$APP/bin/meshwarden.js" lint - || true)
grep -q MW103 <<<"$out" || { log "a bad SmartLimiter was not refused: $out"; exit 1; }
log "a bad SmartLimiter is refused: $(head -1 <<<"$out")"

# serve --webhook-only: certificates generated into a writable --cert-dir (the chart's emptyDir).
CERTS="$SCRATCH/certs" && mkdir -p "$CERTS" && chown 65532:65532 "$CERTS"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Not through as_nonroot: a backgrounded function is one more shell, and $! must be the node process
# itself (exec all the way down), or the SIGTERM below never reaches it and it outlives the script.
( cd / && exec env -i PATH=/usr/bin:/bin NODE_ENV=production setpriv --reuid 65532 --regid 65532 --clear-groups \
    node "$APP/bin/meshwarden.js" serve --webhook-only --webhook-bind-address 127.0.0.1 --webhook-port "$port" --cert-dir "$CERTS" --istio-version 1.28 ) >"$SCRATCH/serve.log" 2>&1 &
pid=$!
ok=0
for _ in $(seq 1 120); do
  if curl -sfk "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.5
done
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[[ $ok == 1 ]] || { log "serve --webhook-only did not become ready:"; cat "$SCRATCH/serve.log"; exit 1; }
log "serve --webhook-only as uid 65532 on a read-only tree: ready on :$port, exited on SIGTERM"
