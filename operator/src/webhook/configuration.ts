/**
 * The ValidatingWebhookConfiguration, as code, so the Helm chart, the operator (which patches
 * its caBundle) and the e2e tests share one definition (Pepr's assets/webhooks.ts does the same).
 * Two webhooks: our own CRDs fail closed; raw Istio EnvoyFilter/WasmPlugin get a configurable
 * policy, because blocking every Istio config change while the operator is down is a choice a
 * platform team must make, not a default.
 */
import { validatePath } from './server.js';

export type FailurePolicy = 'Fail' | 'Ignore';

export interface WebhookConfigurationOptions {
  /** metadata.name (default `meshwarden-validating-webhook`). */
  name?: string;
  /** The operator's namespace: excluded, so the webhook never blocks its own recovery. */
  operatorNamespace: string;
  /** More namespaces to exclude (kube-system always is). */
  excludeNamespaces?: string[];
  /** In-cluster Service (port default 443) or a URL (tests: `https://127.0.0.1:<port>/validate`). */
  service?: { name: string; namespace: string; port?: number };
  url?: string;
  /** PEM of the CA that signed the serving certificate (omit when cert-manager injects it). */
  caPem?: string;
  /** failurePolicy for SmartLimiter/EnvoyPlugin (default Fail). */
  meshwardenFailurePolicy?: FailurePolicy;
  /** failurePolicy for EnvoyFilter/WasmPlugin (default Ignore). */
  istioFailurePolicy?: FailurePolicy;
  /** Validate raw EnvoyFilter/WasmPlugin at all (default true). */
  validateIstio?: boolean;
  /** timeoutSeconds, 1–30 (default 10). */
  timeoutSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const meshwardenWebhookName = 'validate.meshwarden.io';
export const istioWebhookName = 'istio.validate.meshwarden.io';

/** A `admissionregistration.k8s.io/v1` ValidatingWebhookConfiguration (plain object, ready for YAML or SSA). */
export function validatingWebhookConfiguration(opts: WebhookConfigurationOptions) {
  if (!opts.url === !opts.service) throw new Error('give exactly one of url and service');
  const timeoutSeconds = opts.timeoutSeconds ?? 10;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) throw new Error('timeoutSeconds must be 1..30');
  const clientConfig = {
    ...(opts.url !== undefined ? { url: opts.url } : {}),
    ...(opts.service
      ? { service: { name: opts.service.name, namespace: opts.service.namespace, path: validatePath, port: opts.service.port ?? 443 } }
      : {}),
    ...(opts.caPem !== undefined ? { caBundle: Buffer.from(opts.caPem).toString('base64') } : {}),
  };
  const excluded = [...new Set([opts.operatorNamespace, 'kube-system', ...(opts.excludeNamespaces ?? [])])].sort();
  const common = {
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    matchPolicy: 'Equivalent',
    timeoutSeconds,
    clientConfig,
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: excluded }] },
  };
  const rule = (group: string, versions: string[], resources: string[]) => ({
    apiGroups: [group],
    apiVersions: versions,
    operations: ['CREATE', 'UPDATE'],
    resources,
    scope: 'Namespaced',
  });
  const webhooks: Array<Record<string, unknown>> = [
    { name: meshwardenWebhookName, failurePolicy: opts.meshwardenFailurePolicy ?? 'Fail', rules: [rule('meshwarden.io', ['*'], ['smartlimiters', 'envoyplugins'])], ...common },
  ];
  if (opts.validateIstio ?? true) {
    webhooks.push({
      name: istioWebhookName,
      failurePolicy: opts.istioFailurePolicy ?? 'Ignore',
      rules: [rule('networking.istio.io', ['*'], ['envoyfilters']), rule('extensions.istio.io', ['*'], ['wasmplugins'])],
      ...common,
    });
  }
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: opts.name ?? 'meshwarden-validating-webhook',
      labels: { 'app.kubernetes.io/name': 'meshwarden', 'app.kubernetes.io/component': 'webhook', ...opts.labels },
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    webhooks,
  };
}
