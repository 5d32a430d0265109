import assert from 'node:assert/strict';
import { test } from 'node:test';
import type protobuf from 'protobufjs';
import { hasProtoset, loadRoot } from '../validate/proto/load.js';
import { ClientConfig, DiscoveryRequest, DiscoveryResponse, clientConfigTypeUrl, stringStruct, xdsRoot } from './messages.js';
import { decodeSyncz, tokenIdentity } from './syncz.js';

/** Every field of the subset has Envoy's number, type and repetition (the real descriptor set is the oracle). */
test('the xDS subset matches Envoy 1.39 field by field', { skip: hasProtoset('1.39') ? false : 'no .tools/protos/envoy-1.39.pb (npm run setup)' }, () => {
  const envoy = loadRoot('1.39');
  let checked = 0;
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const o of ns.nestedArray) {
      if ('fieldsArray' in o) {
        const mine = o as protobuf.Type;
        const theirs = envoy.lookupType(mine.fullName.slice(1));
        for (const f of mine.fieldsArray) {
          const t = theirs.fields[f.name];
          assert.ok(t, `${mine.fullName}.${f.name} exists in Envoy`);
          assert.equal(t.id, f.id, `${mine.fullName}.${f.name} number`);
          assert.equal(t.repeated, f.repeated, `${mine.fullName}.${f.name} repeated`);
          assert.equal(t.map, f.map, `${mine.fullName}.${f.name} map`);
          f.resolve();
          t.resolve();
          assert.equal(t.resolvedType?.fullName ?? t.type, f.resolvedType?.fullName ?? f.type, `${mine.fullName}.${f.name} type`);
          checked++;
        }
      } else if ('values' in o) {
        const theirs = envoy.lookupEnum((o as protobuf.Enum).fullName.slice(1));
        for (const [k, v] of Object.entries((o as protobuf.Enum).values)) assert.equal(theirs.values[k], v, `${o.fullName}.${k}`);
      }
      if ('nestedArray' in o) walk(o as protobuf.NamespaceBase);
    }
  };
  walk(xdsRoot);
  assert.ok(checked >= 25, `checked ${checked} fields`);
});

test('decodeSyncz reads per-proxy, per-type status, send times and NACK text', () => {
  const cc = ClientConfig.encode(
    ClientConfig.fromObject({
      node: { id: 'reviews-v1-abc.shop', metadata: stringStruct({ NAMESPACE: 'shop', ISTIO_VERSION: '1.30.4' }) },
      generic_xds_configs: [
        { type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', config_status: 'SYNCED', last_updated: { seconds: 1_700_000_000, nanos: 250_000_000 } },
        {
          type_url: 'type.googleapis.com/envoy.config.listener.v3.Listener',
          config_status: 'ERROR',
          last_updated: { seconds: 1_700_000_001 },
          error_state: { last_update_attempt: { seconds: 1_700_000_001 }, details: 'Error adding/updating listener(s) virtualInbound: bad filter' },
        },
      ],
    }),
  ).finish();
  const body = Buffer.from(
    DiscoveryResponse.encode(
      DiscoveryResponse.fromObject({
        type_url: 'istio.io/debug/syncz',
        resources: [
          { type_url: clientConfigTypeUrl, value: cc },
          { type_url: 'other', value: Buffer.from([1]) },
        ],
      }),
    ).finish(),
  );
  const [p, ...rest] = decodeSyncz(body, '10.0.0.5:15010');
  assert.equal(rest.length, 0, 'resources of other types are skipped');
  assert.deepEqual(p, {
    id: 'reviews-v1-abc.shop',
    istiod: '10.0.0.5:15010',
    namespace: 'shop',
    istioVersion: '1.30.4',
    types: [
      { typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', status: 'SYNCED', lastSentMs: 1_700_000_000_250 },
      {
        typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener',
        status: 'ERROR',
        lastSentMs: 1_700_000_001_000,
        error: { details: 'Error adding/updating listener(s) virtualInbound: bad filter', atMs: 1_700_000_001_000 },
      },
    ],
  });
});

test('the request names the syncz type and a parseable node', () => {
  const msg = DiscoveryRequest.toObject(
    DiscoveryRequest.decode(DiscoveryRequest.encode(DiscoveryRequest.fromObject({ type_url: 'istio.io/debug/syncz', node: { id: 'sidecar~127.0.0.1~x.ns~ns.svc.cluster.local' } })).finish()),
  ) as { type_url: string; node: { id: string } };
  assert.equal(msg.type_url, 'istio.io/debug/syncz');
  assert.equal(msg.node.id.split('~').length, 4);
});

test('tokenIdentity reads the service account of a projected token, and nothing from garbage', () => {
  const payload = Buffer.from(JSON.stringify({ sub: 'system:serviceaccount:mw:meshwarden', 'kubernetes.io': { namespace: 'mw', serviceaccount: { name: 'meshwarden' } } })).toString('base64url');
  assert.deepEqual(tokenIdentity(`h.${payload}.s`), { namespace: 'mw', serviceAccount: 'meshwarden' });
  const legacy = Buffer.from(JSON.stringify({ sub: 'system:serviceaccount:a:b' })).toString('base64url');
  assert.deepEqual(tokenIdentity(`h.${legacy}.s`), { namespace: 'a', serviceAccount: 'b' });
  assert.deepEqual(tokenIdentity('not a token'), {});
});
