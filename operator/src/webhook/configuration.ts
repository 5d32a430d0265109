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
    ...(opts.service ? { service: { name: opts.service.name, namespace: opts.service.namespace, path: validatePath, port: opts.service.port ?? 443 } } : {}),
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

/**
 * The same configuration as a Helm template (for the chart's templates/ directory): the structure
 * comes from {@link validatingWebhookConfiguration}, the variable parts from values —
 * `webhook.failurePolicy.{meshwarden,istio}`, `webhook.timeoutSeconds`, `webhook.validateIstio`,
 * `webhook.excludeNamespaces`, `certManager.enabled` (cert-manager injects the CA; otherwise the
 * operator patches caBundle at start-up with the CA it generated).
 */
export function helmTemplate(fullname = 'include "meshwarden.fullname" .'): string {
  const s = (name: string): string => `@@${name}@@`;
  const obj = validatingWebhookConfiguration({
    name: s('name'),
    operatorNamespace: s('namespace'),
    service: { name: s('service'), namespace: s('namespace') },
    meshwardenFailurePolicy: s('fpMeshwarden') as FailurePolicy,
    istioFailurePolicy: s('fpIstio') as FailurePolicy,
    timeoutSeconds: 29,
  });
  const webhooks = obj.webhooks.map((w) => ({ ...w, timeoutSeconds: s('timeout') }));
  const header = ['# Generated from operator/src/webhook/configuration.ts (helmTemplate). Do not edit.', '{{- if .Values.webhook.enabled }}'];
  const body = JSON.stringify({ ...obj, metadata: { ...obj.metadata, annotations: s('annotations') }, webhooks: s('webhooks') }, null, 2);
  const webhookBlocks = webhooks.map((w, i) => {
    const text = JSON.stringify(w, null, 2).replace(
      /"values": \[[^\]]*\]/,
      `"values": {{ concat (list .Release.Namespace "kube-system") (.Values.webhook.excludeNamespaces | default list) | uniq | toJson }}`,
    );
    return i === 0 ? text : `{{- if .Values.webhook.validateIstio }}\n${text}\n{{- end }}`;
  });
  const replacements: Array<[string, string]> = [
    ['"@@name@@"', `{{ ${fullname} | quote }}`],
    ['"@@namespace@@"', '{{ .Release.Namespace | quote }}'],
    ['"@@service@@"', `{{ printf "%s-webhook" (${fullname}) | quote }}`],
    ['"@@fpMeshwarden@@"', '{{ .Values.webhook.failurePolicy.meshwarden | default "Fail" | quote }}'],
    ['"@@fpIstio@@"', '{{ .Values.webhook.failurePolicy.istio | default "Ignore" | quote }}'],
    ['"@@timeout@@"', '{{ .Values.webhook.timeoutSeconds | default 10 }}'],
    [
      '"@@annotations@@"',
      '{{- if .Values.certManager.enabled }}{{ dict "cert-manager.io/inject-ca-from" (printf "%s/%s-serving-cert" .Release.Namespace (' + fullname + ')) | toJson }}{{- else }}{}{{- end }}',
    ],
  ];
  let text = body.replace('"@@webhooks@@"', `[\n${webhookBlocks.join(',\n')}\n]`);
  for (const [from, to] of replacements) text = text.split(from).join(to);
  return `${header.join('\n')}\n${text}\n{{- end }}\n`;
}
