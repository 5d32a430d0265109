/**
 * The version table as shell variables, for the scripts (fetch-envoy.sh, build-protosets.sh,
 * fetch-istio-crds.sh, build-istiod.sh, capture-baselines.sh). Committed as scripts/versions.env
 * so a script needs neither Node nor tsx; a test fails when the file is stale.
 * Per-minor variables use the minor with `_` for `.`: `MW_ENVOY_OF_1_31=1.39`.
 */
import { capturedIstioMinors, DEFAULT_ORACLE_WHEEL, defaultIstioMinors, envoyMinors, fetchedEnvoyWheels, istioMinors, VERSION_TABLE } from './table.js';

/** Where the scripts read it, relative to the repository root. */
export const VERSIONS_ENV_PATH = 'scripts/versions.env';

const key = (v: string) => v.replace(/\./g, '_');
const line = (name: string, value: string | readonly string[]) => `${name}="${typeof value === 'string' ? value : value.join(' ')}"`;

export function versionsEnv(): string {
  return [
    '# Generated from operator/src/versions/table.ts; do not edit.',
    '# Regenerate: node bin/meshwarden.js versions -o env > scripts/versions.env',
    line('MW_ISTIO_MINORS', istioMinors()),
    line('MW_DEFAULT_ISTIO_MINORS', defaultIstioMinors()),
    line('MW_CAPTURED_ISTIO_MINORS', capturedIstioMinors()),
    line('MW_ENVOY_MINORS', envoyMinors()),
    line('MW_ENVOY_WHEELS', fetchedEnvoyWheels()),
    line('MW_ENVOY_WHEEL_DEFAULT', DEFAULT_ORACLE_WHEEL),
    ...VERSION_TABLE.flatMap((r) => [
      line(`MW_ENVOY_OF_${key(r.istio)}`, r.envoy),
      line(`MW_ISTIO_OF_${key(r.envoy)}`, r.istio),
      line(`MW_GO_CONTROL_PLANE_${key(r.envoy)}`, r.goControlPlane),
      line(`MW_ENVOY_WHEEL_${key(r.envoy)}`, r.envoyWheel),
      line(`MW_CRD_SOURCES_${key(r.istio)}`, r.crdSources),
    ]),
    '',
  ].join('\n');
}
