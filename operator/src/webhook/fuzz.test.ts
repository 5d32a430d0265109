/**
 * Fuzz: 10,000 malformed or random AdmissionReviews over real HTTPS on 127.0.0.1. The server
 * must stay up, answer every request with 200 (a well-formed AdmissionReview echoing the uid),
 * 400 or 413, and keep judging known objects correctly throughout. Seeded, bounded, loopback only.
 * FUZZ_SEED and FUZZ_N override the seed and the count.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createWebhookServer, type WebhookServer } from './server.js';
import { webhookClient } from './client.testkit.js';
import * as f from './fixtures.js';
import { seededRandom } from '../../test/seeded-random.js';

const N = Number(process.env.FUZZ_N ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x6d657368);
const CONCURRENCY = 16;

class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  string(): string {
    const alphabets = ['abcdefghijklmnopqrstuvwxyz', '0123456789', '{}[]":,\\\n\t\u0000', 'é漢字🙂\u202e', 'MW spec.limits[0] ../../'];
    const a = this.pick(alphabets);
    const len = this.pick([0, 1, 3, 8, 40, 300, 5000]);
    let s = '';
    for (let i = 0; i < len; i++) s += a[this.int(a.length)]!;
    return s;
  }
  value(depth = 0): unknown {
    const k = this.int(depth > 4 ? 6 : 9);
    switch (k) {
      case 0:
        return null;
      case 1:
        return this.rnd() < 0.5;
      case 2:
        return this.pick([0, -1, 1e308, -0, 65536, 2 ** 53 + 1, 0.5]);
      case 3:
        return this.string();
      case 4:
        return this.pick(['CREATE', 'UPDATE', 'DELETE', '1m', '60s', 'INSERT_BEFORE', 'HTTP_FILTER', 'enforce', '']);
      case 5:
        return {};
      case 6:
        return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) o[this.pick(['kind', 'spec', 'metadata', 'name', 'uid', this.string().slice(0, 12), '__proto__', 'constructor'])] = this.value(depth + 1);
        return o;
      }
    }
  }
  /** Replaces, deletes or adds fields at random places in a copy of `obj`. */
  mutate(obj: unknown, edits: number): unknown {
    const copy = JSON.parse(JSON.stringify(obj)) as unknown;
    for (let e = 0; e < edits; e++) {
      let node = copy as Record<string, unknown>;
      for (let d = 0; d < 8; d++) {
        const keys = node && typeof node === 'object' ? Object.keys(node) : [];
        if (keys.length === 0) break;
        const key = this.pick(keys);
        const child = node[key];
        if (typeof child !== 'object' || child === null || this.rnd() < 0.25) {
          const r = this.rnd();
          if (r < 0.5) node[key] = this.value(2);
          else if (r < 0.8) delete node[key];
          else if (Array.isArray(node))
            node.push(this.value(2)); // a digit key would make a sparse array of millions
          else node[this.string().slice(0, 10) || 'x'] = this.value(2);
          break;
        }
        node = child as Record<string, unknown>;
      }
    }
    return copy;
  }
}

const objects = [
  f.goodSmartLimiter(),
  f.badSmartLimiter(),
  f.serviceSmartLimiter(),
  f.goodEnvoyFilter(3),
  f.badEnvoyFilter(),
  f.warnEnvoyFilter(),
  {
    apiVersion: 'meshwarden.io/v1alpha1',
    kind: 'EnvoyPlugin',
    metadata: { name: 'p', namespace: 'shop' },
    spec: { target: { workloadSelector: { matchLabels: { app: 'a' } } }, plugins: [{ name: 'stamp', lua: { code: "function envoy_on_request(h) h:headers():add('x','1') end" } }] },
  },
  { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'w', namespace: 'shop' }, spec: { url: 'oci://registry/waf:1.2.0', phase: 'AUTHZ' } },
];

/** One fuzz case: the body to send and, when it is a parseable review with a string uid, that uid. */
function fuzzCase(g: Gen, i: number): { body: string | Buffer; uid?: string; headers?: Record<string, string> } {
  const uid = `fuzz-${i}`;
  const review = (obj: unknown, op = g.pick(['CREATE', 'UPDATE', 'CREATE', 'DELETE', 'CONNECT'])) => {
    const r = f.admissionReview(obj as ReturnType<typeof f.goodSmartLimiter>, { uid, operation: op, dryRun: g.rnd() < 0.3 });
    return r;
  };
  switch (g.int(10)) {
    case 0: // random bytes
      return { body: Buffer.from(Array.from({ length: g.pick([0, 1, 10, 1000]) }, () => g.int(256))) };
    case 1: {
      // truncated valid review
      const s = JSON.stringify(review(g.pick(objects)));
      return { body: s.slice(0, g.int(s.length)) };
    }
    case 2: // any JSON value
      return { body: JSON.stringify(g.value()) ?? 'null' };
    case 3: {
      // envelope with a mutated envelope
      const r = g.mutate(review(g.pick(objects)), 1 + g.int(3)) as { request?: { uid?: unknown } };
      return { body: JSON.stringify(r), ...(typeof r?.request?.uid === 'string' ? { uid: r.request.uid } : {}) };
    }
    case 4: {
      // deep nesting, huge numbers, odd encodings
      const kind = g.int(4);
      if (kind === 0) return { body: '['.repeat(50_000) + ']'.repeat(50_000) };
      if (kind === 1) return { body: JSON.stringify(review({ ...f.goodSmartLimiter(), spec: JSON.parse('{"a":'.repeat(300) + '1' + '}'.repeat(300)) })), uid };
      if (kind === 2) return { body: '\ufeff' + JSON.stringify(review(f.goodSmartLimiter())) };
      return { body: JSON.stringify(review(f.goodSmartLimiter())), uid, headers: { 'content-type': 'text/plain' } };
    }
    default: {
      // a valid envelope around a randomly mutated object of our kinds
      const obj = g.mutate(g.pick(objects), 1 + g.int(4));
      return { body: JSON.stringify(review(obj)), uid };
    }
  }
}

describe('webhook fuzz', { timeout: 600_000 }, () => {
  let dir: string;
  let wh: WebhookServer;
  let client: ReturnType<typeof webhookClient>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mw-webhook-fuzz-'));
    wh = createWebhookServer({ port: 0, host: '127.0.0.1', certDir: dir, logger: pino({ level: 'silent' }), istioVersions: ['1.31'], maxBodyBytes: 256 * 1024 });
    const { port, caPem } = await wh.start();
    client = webhookClient(port, caPem ?? '', { maxSockets: CONCURRENCY });
  });
  after(async () => {
    client?.close();
    await wh?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function checkKnown(): Promise<void> {
    const good = JSON.parse((await client.post('/validate', JSON.stringify(f.admissionReview(f.goodEnvoyFilter(2), { uid: 'known-good' })))).body);
    assert.deepEqual(good.response, { uid: 'known-good', allowed: true });
    const bad = JSON.parse((await client.post('/validate', JSON.stringify(f.admissionReview(f.badSmartLimiter(), { uid: 'known-bad' })))).body);
    assert.equal(bad.response.allowed, false);
    assert.match(bad.response.status.message, /MW103/);
  }

  test(`${N} malformed or random AdmissionReviews: every answer well-formed, server up and correct`, async () => {
    const g = new Gen(seededRandom(SEED));
    const cases = Array.from({ length: N }, (_, i) => fuzzCase(g, i));
    const counts: Record<string, number> = {};
    const internal: string[] = [];
    let next = 0;
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i]!;
        const r = await client.post('/validate', c.body, c.headers);
        assert.ok([200, 400, 413].includes(r.status), `case ${i}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
        const out = JSON.parse(r.body) as { error?: string; response?: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[] } };
        if (r.status === 200) {
          const res = out.response!;
          if (c.uid !== undefined) assert.equal(res.uid, c.uid, `case ${i}: uid not echoed`);
          assert.equal(typeof res.allowed, 'boolean');
          if (!res.allowed) {
            assert.ok(res.status && [422, 500].includes(res.status.code), `case ${i}: ${JSON.stringify(res.status)}`);
            assert.equal(typeof res.status.message, 'string');
            if (res.status.code === 500) internal.push(res.status.message.slice(0, 160));
          }
          for (const w of res.warnings ?? []) assert.ok(w.length <= 120 && !/[\r\n]/.test(w), `case ${i}: warning ${JSON.stringify(w)}`);
          counts[res.allowed ? 'allowed' : `denied ${res.status!.code}`] = (counts[res.allowed ? 'allowed' : `denied ${res.status!.code}`] ?? 0) + 1;
        } else {
          assert.equal(typeof out.error, 'string');
          counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
        }
        if (i % 1000 === 999) await checkKnown();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const secs = (performance.now() - t0) / 1000;
    console.error(`[fuzz] ${N} requests in ${secs.toFixed(1)} s (seed ${SEED}): ${JSON.stringify(counts)}`);
    if (internal.length > 0) console.error(`[fuzz] validator exceptions (denied with 500): ${internal.length}, e.g. ${[...new Set(internal)].slice(0, 3).join(' | ')}`);
    await checkKnown();
    assert.equal((await client.get('/healthz')).status, 200);
    assert.equal((await client.get('/readyz')).status, 200);
    // The series are served by the operator's metrics port, not the webhook's (ADR 0101): read the registry.
    assert.match(await wh.metrics.registry.metrics(), /controller_runtime_webhook_requests_in_flight\{webhook="\/validate"\} 0/);
    assert.ok((counts['allowed'] ?? 0) > 0 && (counts['denied 422'] ?? 0) > 0 && (counts['400'] ?? 0) > 0, 'the fuzz reached every outcome');
  });
});
