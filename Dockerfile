# syntax=docker/dockerfile:1
# The meshwarden image: `meshwarden serve` (operator + admission webhook) and the CLI.
#
#   docker build -t meshwarden:dev .
#   docker run --rm -v "$PWD:/work:ro" -w /work meshwarden:dev lint manifests/   # a mounted directory
#   docker run --rm -i meshwarden:dev lint - < manifests.yaml                     # standard input
#
# Three stages: the validator's data built with Go (Envoy descriptor sets, Istio CRD schemas),
# the TypeScript compiled with npm, and a distroless Node 22 runtime laid out as the npm package is
# (docs/adr/0117-package-layout-and-data-resolution.md): package.json's `files` (bin/, dist/, data/,
# schemas/, crds/, envoy-templates/), LICENSE and production node_modules. It runs as uid 65532
# and writes nothing outside the mounted --cert-dir and /tmp, so it works with
# readOnlyRootFilesystem (the Helm chart sets it). See docs/adr/0090-image.md.

ARG NODE_VERSION=22
ARG GO_VERSION=1.26

# --- 1. Envoy API descriptor sets and Istio CRDs (what operator/src/validate reads at run time: data/) ---
FROM golang:${GO_VERSION}-bookworm AS validator-data
WORKDIR /src
COPY scripts/build-protosets.sh scripts/fetch-istio-crds.sh scripts/versions.env scripts/
COPY operator/tools/protoset/ operator/tools/protoset/
RUN bash scripts/build-protosets.sh \
 && bash scripts/fetch-istio-crds.sh \
 && mkdir -p /out/protos /out/istio \
 && cp .tools/protos/*.pb .tools/protos/*.json /out/protos/ \
 && cp -r .tools/istio/. /out/istio/

# --- 2. Compile the TypeScript, then keep production dependencies only ---
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# re2 is a native addon: npm ci fetches its prebuilt binary or compiles it (python3, make, g++ are
# in this image); the runtime stage is Debian 12 too, so the binary's glibc matches.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json LICENSE ./
COPY bin/ bin/
COPY schemas/ schemas/
COPY crds/ crds/
COPY envoy-templates/ envoy-templates/
COPY operator/ operator/
# npm run build compiles operator/src only, without tests, test kits, fixtures or benchmark
# drivers (tsconfig.build.json; docs/adr/0108-layer-rules.md): dist/ holds only what runs.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 # re2's compiler intermediates and vendored C++ sources (86 MB): only build/Release/re2.node loads.
 && rm -rf node_modules/re2/build/Release/obj.target node_modules/re2/build/Release/.deps node_modules/re2/vendor

# --- 3. Runtime ---
FROM gcr.io/distroless/nodejs${NODE_VERSION}-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=0:0 /app/package.json /app/LICENSE ./
COPY --from=build --chown=0:0 /app/bin/ bin/
COPY --from=build --chown=0:0 /app/dist/ dist/
COPY --from=build --chown=0:0 /app/node_modules/ node_modules/
COPY --from=build --chown=0:0 /app/schemas/ schemas/
COPY --from=build --chown=0:0 /app/crds/ crds/
COPY --from=build --chown=0:0 /app/envoy-templates/ envoy-templates/
# Where the installed package keeps them (scripts/prepack.sh writes the same tree for npm).
COPY --from=validator-data --chown=0:0 /out/protos/ data/protos/
COPY --from=validator-data --chown=0:0 /out/istio/ data/istio/
# Files owned by root, read-only for the process: it runs as distroless' nonroot user.
USER 65532:65532
# The webhook (9443), metrics (8080), probes (8081): meshwarden serve's defaults.
EXPOSE 9443 8080 8081
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/meshwarden.js"]
CMD ["serve"]
