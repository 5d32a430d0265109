import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { helmTemplate, istioWebhookName, meshwardenWebhookName, validatingWebhookConfiguration } from './configuration.js';

describe('validatingWebhookConfiguration', () => {
  test('fixed fields, failure policy per kind, both namespaces excluded', () => {
    const c = validatingWebhookConfiguration({ operatorNamespace: 'meshwarden-system', url: 'https://127.0.0.1:9443/validate', caPem: 'PEM' });
    assert.equal(c.apiVersion, 'admissionregistration.k8s.io/v1');
    assert.equal(c.kind, 'ValidatingWebhookConfiguration');
    assert.deepEqual(
      c.webhooks.map((w) => [w.name, w.failurePolicy]),
      [
        [meshwardenWebhookName, 'Fail'],
        [istioWebhookName, 'Ignore'],
      ],
    );
    for (const w of c.webhooks) {
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
      assert.equal(w.sideEffects, 'None');
      assert.equal(w.matchPolicy, 'Equivalent');
      assert.equal(w.timeoutSeconds, 10);
      assert.deepEqual(w.clientConfig, { url: 'https://127.0.0.1:9443/validate', caBundle: Buffer.from('PEM').toString('base64') });
      assert.deepEqual(w.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'meshwarden-system'] }] });
    }
    const rules = c.webhooks.flatMap((w) => w.rules as Array<{ apiGroups: string[]; resources: string[]; operations: string[] }>);
    assert.deepEqual(
      rules.map((r) => `${r.apiGroups[0]}/${r.resources.join('+')}`),
      ['meshwarden.io/smartlimiters+envoyplugins', 'networking.istio.io/envoyfilters', 'extensions.istio.io/wasmplugins'],
    );
    assert.ok(rules.every((r) => r.operations.join() === 'CREATE,UPDATE'));
  });

  test('in-cluster service, policies, timeout, extra exclusions, Istio validation off', () => {
    const c = validatingWebhookConfiguration({
      operatorNamespace: 'mw',
      service: { name: 'meshwarden-webhook', namespace: 'mw' },
      istioFailurePolicy: 'Fail',
      timeoutSeconds: 5,
      excludeNamespaces: ['istio-system'],
    });
    assert.deepEqual(c.webhooks[0]!.clientConfig, { service: { name: 'meshwarden-webhook', namespace: 'mw', path: '/validate', port: 443 } });
    assert.equal(c.webhooks[1]!.failurePolicy, 'Fail');
    assert.equal(c.webhooks[1]!.timeoutSeconds, 5);
    assert.deepEqual((c.webhooks[0]!.namespaceSelector as { matchExpressions: Array<{ values: string[] }> }).matchExpressions[0]!.values, ['istio-system', 'kube-system', 'mw']);
    assert.equal(validatingWebhookConfiguration({ operatorNamespace: 'mw', url: 'https://x/validate', validateIstio: false }).webhooks.length, 1);
    assert.throws(() => validatingWebhookConfiguration({ operatorNamespace: 'mw' }), /exactly one of url and service/);
    assert.throws(() => validatingWebhookConfiguration({ operatorNamespace: 'mw', url: 'https://x', timeoutSeconds: 31 }), /timeoutSeconds/);
  });

  test('the Helm template renders to the same object', () => {
    const text = helmTemplate();
    // A tiny stand-in for helm: the values a default install would give.
    const rendered = text
      .replace(/^#.*\n/, '')
      .replace(/\{\{- (if|end|else)[^}]*\}\}/g, (m) => (m.includes('certManager') || m.includes('else') ? '' : ''))
      .replace(/\{\{ dict "cert-manager[^}]*\}\}/g, '')
      .replace(/\{\{ include "meshwarden.fullname" \. \| quote \}\}/g, '"meshwarden"')
      .replace(/\{\{ printf "%s-webhook" \(include "meshwarden.fullname" \.\) \| quote \}\}/g, '"meshwarden-webhook"')
      .replace(/\{\{ \.Release\.Namespace \| quote \}\}/g, '"mw"')
      .replace(/\{\{ \.Values\.webhook\.failurePolicy\.meshwarden[^}]*\}\}/g, '"Fail"')
      .replace(/\{\{ \.Values\.webhook\.failurePolicy\.istio[^}]*\}\}/g, '"Ignore"')
      .replace(/\{\{ \.Values\.webhook\.timeoutSeconds[^}]*\}\}/g, '10')
      .replace(/\{\{ concat [^}]*\}\}/g, '["kube-system", "mw"]');
    assert.doesNotMatch(rendered, /\{\{/);
    const obj = parse(rendered) as Record<string, unknown>;
    const expected = validatingWebhookConfiguration({ name: 'meshwarden', operatorNamespace: 'mw', service: { name: 'meshwarden-webhook', namespace: 'mw' } });
    assert.deepEqual({ ...obj, metadata: { ...(obj.metadata as object), annotations: undefined } }, { ...expected, metadata: { ...expected.metadata, annotations: undefined } });
  });
});
