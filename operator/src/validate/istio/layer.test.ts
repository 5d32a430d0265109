import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { checkEnvoyFilterPatches, patchedConfigs } from './layer.js';
import { envoyFilter, httpFilterPatch, lua, ROUTER } from './apply.testkit.js';
import type { ConfigPatch } from './types.js';

describe('checkEnvoyFilterPatches', () => {
  it('reports per version and marks version-specific findings', () => {
    const p: ConfigPatch = {
      applyTo: 'VIRTUAL_HOST',
      match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: 'allow_any' } } },
      patch: { operation: 'MERGE_AND_REPLACE_LIST', value: { domains: ['*'] } },
    };
    const fs = checkEnvoyFilterPatches(envoyFilter('a', [p]), { istioVersions: ['1.28.0', '1.31.0'] });
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.rule, 'MW420');
    assert.match(fs[0]!.message, /\[Istio 1\.28 only\]/);
  });
  it('uses the known Service ports: a Service-port anchor on inbound matches nothing', () => {
    const ef = envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(), { port: 9080, subFilter: ROUTER })]);
    const fs = checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0'], inbound: [{ servicePort: 9080, targetPort: 8080 }] });
    assert.deepEqual(
      fs.map((f) => f.rule),
      ['MW413'],
    );
    assert.match(fs[0]!.hint!, /portNumber 8080/);
    // Without facts the ports named by the patch are assumed to exist.
    assert.deepEqual(checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0'] }), []);
  });
  it('checks gateway patches against the gateway baseline and orders with existing filters', () => {
    const base = envoyFilter('base', [httpFilterPatch('GATEWAY', 'INSERT_BEFORE', lua('base'), { subFilter: ROUTER })], { labels: { istio: 'ingressgateway' }, priority: 0 });
    const dep = envoyFilter('dep', [httpFilterPatch('GATEWAY', 'INSERT_BEFORE', lua('dep'), { subFilter: 'base' })], { labels: { istio: 'ingressgateway' }, priority: 1 });
    assert.deepEqual(checkEnvoyFilterPatches(dep, { istioVersions: ['1.31.0'], otherEnvoyFilters: [base] }), []);
    const fs = checkEnvoyFilterPatches(dep, { istioVersions: ['1.31.0'] });
    assert.deepEqual(
      fs.map((f) => f.rule),
      ['MW413'],
    );
  });
  it('targetRefs to a Gateway are checked on a Gateway API gateway', () => {
    const ef = envoyFilter('a', [httpFilterPatch('GATEWAY', 'ADD', lua(), { port: 8080 })], { labels: null });
    ef.spec!.targetRefs = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'web' }];
    assert.deepEqual(
      checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0'] }).map((f) => f.rule),
      ['MW401'],
    );
  });
  it('policy filters in the baseline: anchors on rbac / jwt_authn exist only when the policies do', () => {
    const ef = envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_AFTER', lua(), { port: 8080, subFilter: 'envoy.filters.http.rbac' })]);
    assert.deepEqual(
      checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0'] }).map((f) => f.rule),
      ['MW413'],
    );
    assert.deepEqual(checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0'], policies: { rbac: 'both', jwt: true } }), []);
  });
  it('TCP ports have no HCM: HTTP patches on them match nothing', () => {
    const ef = envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(), { port: 9100, subFilter: ROUTER })]);
    const fs = checkEnvoyFilterPatches(ef, {
      istioVersions: ['1.28.0'],
      inbound: [
        { servicePort: 9080, targetPort: 8080 },
        { servicePort: 9100, targetPort: 9100, protocol: 'tcp' },
      ],
    });
    assert.deepEqual(
      fs.map((f) => f.rule),
      ['MW413'],
    );
    assert.match(fs[0]!.hint!, /TCP port/);
  });
  it("outbound HTTP ports named by the patches exist (the mesh's Services are unknown); known ports are used as given", () => {
    // The shape of an outbound SmartLimiter on port 80 (and 8080): filter on the port's HCM, bucket on the vhost.
    for (const port of [80, 8080]) {
      const ef = envoyFilter('a', [
        httpFilterPatch('SIDECAR_OUTBOUND', 'INSERT_BEFORE', lua(), { port, subFilter: ROUTER }),
        {
          applyTo: 'VIRTUAL_HOST',
          match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: port, vhost: { name: `ratings.bookinfo.svc.cluster.local:${port}` } } },
          patch: { operation: 'MERGE', value: { typed_per_filter_config: {} } },
        },
      ]);
      assert.deepEqual(checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0', '1.29.0', '1.30.0', '1.31.0'] }), [], `port ${port}`);
      const known = checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0'], outboundHttpPorts: [9080] });
      assert.deepEqual(
        known.map((f) => f.rule),
        ['MW413'],
        `port ${port} with the mesh's ports known`,
      );
    }
  });
  it('assumes VirtualService vhosts and named routes unless routeFacts is strict', () => {
    const ef = envoyFilter('a', [
      {
        applyTo: 'HTTP_ROUTE',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: 'ratings.bookinfo.svc.cluster.local:9080', route: { name: 'v2' } } } },
        patch: { operation: 'MERGE', value: { route: { timeout: '3s' } } },
      },
    ]);
    assert.deepEqual(checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0'] }), []);
    assert.deepEqual(
      checkEnvoyFilterPatches(ef, { istioVersions: ['1.28.0'], routeFacts: 'strict' }).map((f) => f.rule),
      ['MW413'],
    );
    // On a gateway a vhost matched by name is fragile (MW425); by domainName it is assumed like a named one.
    const gwRoute = (vhost: Record<string, string>) =>
      envoyFilter(
        'g',
        [
          {
            applyTo: 'HTTP_ROUTE',
            match: { context: 'GATEWAY', routeConfiguration: { portNumber: 80, vhost: { ...vhost, route: { name: 'login' } } } },
            patch: { operation: 'MERGE', value: { route: { timeout: '3s' } } },
          },
        ],
        { labels: { istio: 'ingressgateway' } },
      );
    assert.deepEqual(
      checkEnvoyFilterPatches(gwRoute({ name: 'bookinfo.example.com:80' }), { istioVersions: ['1.31.0'] }).map((f) => f.rule),
      ['MW425'],
    );
    for (const domainName of ['bookinfo.example.com', 'shop.example.com']) {
      assert.deepEqual(checkEnvoyFilterPatches(gwRoute({ domainName }), { istioVersions: ['1.28.0', '1.31.0'] }), [], domainName);
    }
    assert.deepEqual(
      checkEnvoyFilterPatches(gwRoute({ domainName: 'shop.example.com' }), { istioVersions: ['1.31.0'], routeFacts: 'strict' }).map((f) => f.rule),
      ['MW413'],
    );
  });
});

test('gateway vhosts of different server ports are assumed in their own route configurations', () => {
  const ef = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'two-ports', namespace: 'istio-system' },
    spec: {
      workloadSelector: { labels: { istio: 'ingressgateway' } },
      priority: 10,
      configPatches: [80, 443].map((port) => ({
        applyTo: 'VIRTUAL_HOST',
        match: { context: 'GATEWAY', routeConfiguration: { portNumber: port, vhost: { name: `shop.example.com:${port}` } } },
        patch: { operation: 'MERGE', value: { typed_per_filter_config: {} } },
      })),
    },
  };
  const findings = checkEnvoyFilterPatches(ef as never, { istioVersions: ['1.28.0'] });
  assert.deepEqual(
    findings.filter((f) => f.rule === 'MW410'),
    [],
    'no duplicate domain between :80 and :443',
  );
});

test('a route named by a VirtualService is assumed on outbound and gateway ports, but not inbound', () => {
  const route = (context: string, port: number) => ({
    applyTo: 'HTTP_ROUTE',
    match: { context, routeConfiguration: { portNumber: port, vhost: { route: { name: 'checkout' } } } },
    patch: { operation: 'MERGE', value: { typed_per_filter_config: {} } },
  });
  const ef = (context: string, port: number, labels: Record<string, string>) => ({
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'route', namespace: 'shop' },
    spec: { workloadSelector: { labels }, priority: 1, configPatches: [route(context, port)] },
  });
  const nothing = (e: unknown) => checkEnvoyFilterPatches(e as never, { istioVersions: ['1.28.0'] }).filter((f) => f.rule === 'MW413');
  assert.deepEqual(nothing(ef('GATEWAY', 80, { istio: 'ingressgateway' })), []);
  assert.deepEqual(nothing(ef('SIDECAR_OUTBOUND', 9080, { app: 'a' })), []);
  assert.equal(nothing(ef('SIDECAR_INBOUND', 8080, { app: 'a' })).length, 1, 'inbound has only the default route');
});

test('an EnvoyFilter of the legacy API (filters:, no configPatches) in the root namespace does not switch off the patch layer for the others', () => {
  // Ordered first (root namespace), it used to end the wrapping of every filter after it.
  const legacy = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'legacy', namespace: 'istio-system' },
    spec: { filters: [{ listenerMatch: { listenerType: 'SIDECAR_INBOUND' }, filterName: 'envoy.lua', filterType: 'HTTP', filterConfig: {} }] },
  };
  const ef = envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(), { subFilter: 'envoy.filters.http.jwt_authn' })]);
  const alone = checkEnvoyFilterPatches(ef, { istioVersions: ['1.31.0'] }).map((f) => f.rule);
  assert.deepEqual(alone, ['MW413']);
  assert.deepEqual(
    checkEnvoyFilterPatches(ef, { istioVersions: ['1.31.0'], otherEnvoyFilters: [legacy as never] }).map((f) => f.rule),
    alone,
  );
});

test('a judged EnvoyFilter of a shape the API server rejects yields no configs and no findings, never an exception', () => {
  // `validate --envoy` asks for the configs of every EnvoyFilter of the input; this one crashed the run.
  for (const spec of [{ configPatches: { applyTo: 'HTTP_FILTER' } }, { configPatches: [null, 'x'] }, [1]]) {
    const ef = { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'm', namespace: 'shop' }, spec } as never;
    assert.deepEqual(patchedConfigs(ef, { istioVersions: ['1.31.0'], istioVersion: '1.31.0' }), [], JSON.stringify(spec));
    assert.deepEqual(checkEnvoyFilterPatches(ef, { istioVersions: ['1.31.0'] }), [], JSON.stringify(spec));
  }
});
