#!/usr/bin/env bash
# `npm pack` / `npm publish` run this (package.json "prepack"): the package ships what runs and the
# data it reads, built here, never committed (docs/adr/0117-package-layout-and-data-resolution.md):
#
#   dist/                      the compiled CLI and operator (tsconfig.build.json: no tests, kits, benches)
#   data/protos/envoy-1.NN.pb  Envoy API descriptor sets (+ .json provenance), one per Envoy minor
#   data/istio/1.NN/           Istio's CRD schemas (crd-all.gen.yaml, source.txt), one per Istio minor
#
# The minors come from the version table (scripts/versions.env). A missing file stops the pack with
# the command that builds it: a package without a minor's data would fail every check of that minor.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=versions.env
source scripts/versions.env

missing=()
for envoy in $MW_ENVOY_MINORS; do
  for f in ".tools/protos/envoy-$envoy.pb" ".tools/protos/envoy-$envoy.json"; do
    [[ -s $f ]] || missing+=("$f (bash scripts/build-protosets.sh $envoy)")
  done
done
for istio in $MW_ISTIO_MINORS; do
  f=".tools/istio/$istio/crd-all.gen.yaml"
  [[ -s $f ]] || missing+=("$f (bash scripts/fetch-istio-crds.sh $istio)")
done
if ((${#missing[@]} > 0)); then
  printf 'prepack: the validator data of the version table is incomplete; build it first (npm run setup:validator builds all):\n' >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi

echo "prepack: compiling (tsconfig.build.json)"
rm -rf dist
npx tsc -p tsconfig.build.json

echo "prepack: data/ for Envoy $MW_ENVOY_MINORS, Istio $MW_ISTIO_MINORS"
rm -rf data
mkdir -p data/protos data/istio
for envoy in $MW_ENVOY_MINORS; do
  cp ".tools/protos/envoy-$envoy.pb" ".tools/protos/envoy-$envoy.json" data/protos/
done
for istio in $MW_ISTIO_MINORS; do
  mkdir -p "data/istio/$istio"
  cp ".tools/istio/$istio/crd-all.gen.yaml" "data/istio/$istio/"
  if [[ -f .tools/istio/$istio/source.txt ]]; then cp ".tools/istio/$istio/source.txt" "data/istio/$istio/"; fi
done
